"""Beat detection and per-lead delineation of P, QRS and T waves.

Method (all steps are array operations over leads and beats; no per-sample Python loops):

1. **Conditioning.** Each lead is high-passed (0.5 Hz, zero-phase Butterworth) against
   baseline wander; NaN samples become 0. Derivatives are Gaussian derivatives (a first-order
   Gaussian-derivative filter is the continuous-wavelet transform with the derivative-of-Gaussian
   wavelet at one scale): a fine scale (sigma 4 ms) for QRS, coarser scales (sigma 8 ms for P,
   14 ms for T) for the slow waves, as in multiscale wavelet delineators.
2. **Beat detection (multi-lead).** The fine-scale derivative of every lead is squared and
   normalised by its own 99th percentile, the leads are summed, and a 100 ms moving average gives
   one QRS-energy envelope per ECG: a QRS that is small or inverted in some leads still counts
   through the others, and a noisy lead cannot dominate. Peaks at least 250 ms apart above 30 %
   of the envelope's typical beat height are beats; long gaps are searched again at half the
   threshold. Each beat's fiducial point is the envelope peak.
3. **QRS.** Per lead and beat: ``r_peak`` is the largest deviation from the local median within
   +-60 ms of the fiducial point. The QRS spans the strong slopes (|dx/dt| > 30 % of the beat's
   maximum slope) around it; ``qrs_on`` / ``qrs_off`` are the nearest samples outside that span
   where the slope falls under a small fraction of the maximum (a threshold on the wavelet
   modulus, as in Martinez et al. 2004).
4. **P and T.** ``p_peak`` is the largest deviation from the PR level within the window before
   ``qrs_on`` (bounded by the previous beat); ``t_peak`` the largest deviation within a window
   after ``qrs_off`` scaled with the RR interval. Each boundary (``p_on``, ``p_off``, ``t_off``)
   is found with the trapezium-area method (Zhang et al. 2006): from the point of maximum slope
   between the peak and the boundary, the boundary is the sample maximising the area of the
   trapezium formed with a reference point beyond it — the point where the wave meets the
   baseline, robust to noise and to a baseline offset. A P or T wave whose amplitude is below
   a fraction of the QRS amplitude (or the noise) is absent and left out of the arrays.

Beats whose windows leave the record are dropped for that wave only.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from ..errors import SynthECGError

# thresholds (fractions of the beat's maximum slope or of the QRS amplitude)
QRS_STRONG = 0.3
QRS_QUIET_ON = 0.01
QRS_QUIET_OFF = 0.02
P_MIN_REL = 0.008
T_MIN_REL = 0.02
NOISE_K = 0.5
P_REF_MS = 40.0
P_OFF_REF_MS = 25.0
T_REF_MS = 70.0
CLIP_MS = {"qrs_on": 6.0, "qrs_off": 6.0, "p_on": 10.0, "p_off": 10.0, "t_off": 15.0, "r_peak": 25.0,
           "p_peak": 10.0, "t_peak": 15.0}
R_FIRST_FRAC = 0.6
R_NEG_RATIO = 0.1  # R peak = deepest point when the largest positive wave is below this x |deepest|


def nanmedian0(a: np.ndarray) -> np.ndarray:
    """Median over axis 0 ignoring NaN (NaN where a column has none); faster than np.nanmedian
    for the small (leads, beats) arrays used here."""
    s = np.sort(a, axis=0)  # NaN sort last
    k = np.isfinite(a).sum(axis=0)
    lo = np.take_along_axis(s, np.maximum((k - 1) // 2, 0)[None], axis=0)[0]
    hi = np.take_along_axis(s, np.maximum(k // 2, 0)[None], axis=0)[0]
    return np.where(k > 0, (lo + hi) / 2.0, np.nan)


def _towards_consensus(pos: np.ndarray, ok: np.ndarray, fs: float, clip_ms: float) -> np.ndarray:
    """Per-lead positions (L, B) held within clip_ms of the median over the leads that have the wave."""
    if pos.shape[0] < 3 or clip_ms is None:
        return pos
    med = nanmedian0(np.where(ok, pos.astype(float), np.nan))
    c = clip_ms * fs / 1000.0
    out = np.clip(pos, med - c, med + c)
    return np.where(np.isfinite(out), np.rint(out), pos).astype(np.int64)

KEYS = ("p_on", "p_peak", "p_off", "qrs_on", "r_peak", "qrs_off", "t_peak", "t_off")
MIN_FS = 250.0


def _ms(fs: float, ms: float) -> int:
    return int(round(ms * fs / 1000.0))


SPIKE_MV = 0.8  # |second difference| above this and SPIKE_RATIO x the lead's 99th percentile
SPIKE_RATIO = 25.0  # ... is a spike; a lead needs SPIKE_MIN_COUNT of them (a pacemaker repeats)
SPIKE_MIN_COUNT = 3


def remove_spikes(y: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Pacemaker spikes (a few ms, far sharper than any QRS) replaced by straight lines.

    y: (n_leads, n_samples) float mV, modified copy returned with a bool per lead (had spikes)."""
    d2 = np.zeros_like(y)
    d2[:, 1:-1] = np.abs(y[:, 2:] - 2 * y[:, 1:-1] + y[:, :-2])
    limit = np.maximum(SPIKE_MV, SPIKE_RATIO * np.percentile(d2[:, ::2], 99, axis=-1, keepdims=True))
    spikes = d2 > limit
    found = spikes.sum(axis=-1) >= SPIKE_MIN_COUNT
    spikes &= found[:, None]
    if not found.any():
        return y, found
    spikes = ndimage.binary_dilation(spikes, np.ones((1, 2 * max(1, _ms(fs, 4)) + 1), bool))
    y = y.copy()
    t = np.arange(y.shape[-1])
    for lead in np.flatnonzero(found):  # a handful of leads, each one np.interp
        bad = spikes[lead]
        y[lead, bad] = np.interp(t[bad], t[~bad], y[lead, ~bad])
    return y, found


def condition(x: np.ndarray, fs: float) -> np.ndarray:
    """High-passed (0.5 Hz) float64 copy of x (n_leads, n_samples) with NaN set to 0 and
    pacemaker spikes removed."""
    y = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    y, _ = remove_spikes(y, fs)
    sos = signal.butter(2, 0.5, "highpass", fs=fs, output="sos")
    padlen = min(y.shape[-1] - 1, int(fs))
    return signal.sosfiltfilt(sos, y, axis=-1, padlen=padlen)


def _gauss(y: np.ndarray, fs: float, sigma_ms: float, order: int) -> np.ndarray:
    out = ndimage.gaussian_filter1d(y, sigma_ms * fs / 1000.0, axis=-1, order=order, mode="nearest",
                                    truncate=3.0)
    return out * fs ** order


def detect_beats(y: np.ndarray, fs: float, d: np.ndarray | None = None) -> np.ndarray:
    """Fiducial sample of every QRS in conditioned leads y (n_leads, n_samples), sorted.

    ``d``: the fine-scale derivative of y when the caller has it already."""
    y = np.atleast_2d(y)
    d = _gauss(y, fs, 4.0, 1) if d is None else d
    e = d * d
    scale = np.percentile(e, 99, axis=-1, keepdims=True)
    good = scale[:, 0] > 1e-12
    if not good.any():
        return np.zeros(0, dtype=np.int64)
    e = (e[good] / scale[good]).sum(axis=0) / good.sum()
    env = ndimage.uniform_filter1d(e, max(1, _ms(fs, 100)), mode="nearest")
    distance = max(1, _ms(fs, 250))
    candidates, props = signal.find_peaks(env, distance=distance)
    if candidates.size == 0:
        return candidates.astype(np.int64)
    heights = props.get("peak_heights", env[candidates])
    top = np.sort(heights)[::-1]
    typical = np.median(top[: max(3, min(top.size, int(len(env) / fs / 1.5)))])
    beats = candidates[heights >= 0.3 * typical]
    if beats.size >= 2:
        # search back in long gaps with half the threshold
        rr = np.median(np.diff(beats))
        gaps = np.flatnonzero(np.diff(beats) > 1.6 * rr)
        extra = []
        for g in gaps:  # a handful of gaps at most
            inside = candidates[(candidates > beats[g] + distance) & (candidates < beats[g + 1] - distance)]
            if inside.size:
                best = inside[np.argmax(env[inside])]
                if env[best] >= 0.15 * typical:
                    extra.append(best)
        if extra:
            beats = np.sort(np.concatenate([beats, extra]))
    return beats.astype(np.int64)


def _take(sig: np.ndarray, start: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows sig[l, start[l, b] + k] for k < length: values (L, B, length) and indices."""
    n = sig.shape[-1]
    idx = start[..., None] + np.arange(length)
    values = np.take_along_axis(sig, np.clip(idx, 0, n - 1).reshape(sig.shape[0], -1), axis=-1)
    return values.reshape(idx.shape), idx


def _masked_argmax(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.argmax(np.where(mask, v, -np.inf), axis=-1)


def _trapezium(ys: np.ndarray, m: np.ndarray, r: np.ndarray, rising: np.ndarray) -> np.ndarray:
    """Index k between m and r (per row, either order) maximising the trapezium area.

    ys: (..., W) smoothed wave; m: max-slope index; r: reference index beyond the boundary.
    ``rising`` says whether the wave at m is above (True) the boundary level.
    """
    k = np.arange(ys.shape[-1])
    ym = np.take_along_axis(ys, m[..., None], axis=-1)
    sign = np.where(rising, 1.0, -1.0)[..., None]
    area = sign * (ym - ys) * np.abs(2 * r[..., None] - k - m[..., None])
    lo, hi = np.minimum(m, r)[..., None], np.maximum(m, r)[..., None]
    return _masked_argmax(area, (k >= lo) & (k <= hi))


def delineate_conditioned(y: np.ndarray, fs: float,
                          consensus: bool = True) -> tuple[np.ndarray, list[dict]]:
    """Beats and delineation of conditioned leads y (n_leads, n_samples); see the module docstring.

    ``consensus``: hold each lead's marks near the across-lead median (the per-lead output);
    the global measurements take the raw per-lead marks and combine them themselves."""
    L, n = y.shape
    dq = _gauss(y, fs, 4.0, 1)
    beats = detect_beats(y, fs, dq)
    empty = {k: np.zeros(0, dtype=np.int64) for k in KEYS}
    if beats.size == 0:
        return beats, [dict(empty) for _ in range(L)]
    B = beats.size
    rr = np.diff(beats).astype(float)
    rr_next = np.append(rr, rr[-1] if rr.size else fs) if B else rr
    rr_prev = np.insert(rr, 0, rr[0] if rr.size else fs)

    # --- QRS -------------------------------------------------------------------------------
    half = _ms(fs, 200)
    W = 2 * half + 1
    start = np.broadcast_to(beats - half, (L, B))
    yq, idx = _take(y, start, W)
    aq, _ = _take(np.abs(dq), start, W)
    k = np.arange(W)
    inside = (idx >= 0) & (idx < n)
    centre = (k >= half - _ms(fs, 60)) & (k <= half + _ms(fs, 60))
    base = np.median(yq[..., ::4], axis=-1, keepdims=True)
    dev_q = yq - base
    pos_k = _masked_argmax(dev_q, centre & inside)
    neg_k = _masked_argmax(-dev_q, centre & inside)
    pos_a = np.take_along_axis(dev_q, pos_k[..., None], axis=-1)[..., 0]
    neg_a = -np.take_along_axis(dev_q, neg_k[..., None], axis=-1)[..., 0]
    if R_FIRST_FRAC < 1.0:  # the first positive peak within R_FIRST_FRAC of the tallest
        lm = np.zeros(dev_q.shape, dtype=bool)
        lm[..., 1:-1] = (dev_q[..., 1:-1] >= dev_q[..., :-2]) & (dev_q[..., 1:-1] > dev_q[..., 2:])
        lm &= centre & inside & (dev_q >= R_FIRST_FRAC * pos_a[..., None]) & (pos_a[..., None] > 0)
        pos_k = np.where(lm.any(-1), np.argmax(lm, axis=-1), pos_k)
    # the R wave; in a QS complex (no R worth the name) the deepest point, as cardiologists mark
    r_k = np.where(pos_a >= R_NEG_RATIO * neg_a, pos_k, neg_k)
    core = (k >= half - _ms(fs, 80)) & (k <= half + _ms(fs, 80))
    dmax = np.max(np.where(core, aq, 0.0), axis=-1, keepdims=True)
    wide = (k >= half - _ms(fs, 120)) & (k <= half + _ms(fs, 120))
    strong = wide & (aq > QRS_STRONG * dmax)
    first = np.argmax(strong, axis=-1)
    last = W - 1 - np.argmax(strong[..., ::-1], axis=-1)
    quiet_on = (aq < QRS_QUIET_ON * dmax) & (k <= first[..., None])
    quiet_off = (aq < QRS_QUIET_OFF * dmax) & (k >= last[..., None])
    on_k = np.where(quiet_on.any(-1), W - 1 - np.argmax(quiet_on[..., ::-1], axis=-1), 0)
    off_k = np.where(quiet_off.any(-1), np.argmax(quiet_off, axis=-1), W - 1)
    qrs_on = beats - half + on_k
    qrs_off = beats - half + off_k
    r_peak = beats - half + r_k
    qrs_amp = np.ptp(np.where(core, yq, base), axis=-1)
    qrs_ok = (dmax[..., 0] > 0) & (qrs_on >= 0) & (qrs_off < n)

    # --- P ---------------------------------------------------------------------------------
    yp_full = _gauss(y, fs, 8.0, 0)
    dp_full = np.gradient(yp_full, axis=-1) * fs
    pw = _ms(fs, 300)
    p_start = qrs_on - pw
    p_lo = np.maximum(p_start, (beats - 0.45 * rr_prev).astype(np.int64))  # after the previous T
    yp, pidx = _take(yp_full, p_start, pw)
    dp, _ = _take(dp_full, p_start, pw)
    kp = np.arange(pw)
    pr_level = np.take_along_axis(yp_full, np.clip(qrs_on, 0, n - 1), axis=-1)[..., None]
    search = (pidx >= p_lo[..., None]) & (kp <= pw - _ms(fs, 30)) & (pidx >= 0)
    dev = yp - pr_level
    pk = _masked_argmax(np.abs(dev), search)
    p_amp = np.take_along_axis(dev, pk[..., None], axis=-1)[..., 0]
    up = p_amp > 0
    sgn = np.where(up, 1.0, -1.0)[..., None]
    w80 = _ms(fs, 80)
    m_on = _masked_argmax(sgn * dp, (kp >= pk[..., None] - w80) & (kp <= pk[..., None]) & search)
    m_off = _masked_argmax(-sgn * dp, (kp >= pk[..., None]) & (kp <= pk[..., None] + w80))
    ref = _ms(fs, P_REF_MS)
    pon_k = _trapezium(yp, m_on, np.maximum(m_on - ref, 0), up)
    poff_k = _trapezium(yp, m_off, np.maximum(np.minimum(m_off + _ms(fs, P_OFF_REF_MS), pw - 1 - _ms(fs, 10)), m_off), up)
    noise = np.std(y - yp_full, axis=-1, keepdims=True)
    edge = _ms(fs, 15)
    p_ok = (qrs_ok & (np.abs(p_amp) > P_MIN_REL * qrs_amp) & (np.abs(p_amp) > NOISE_K * noise)
            & (pidx[..., 0] + pk - p_lo > edge) & (pk < pw - _ms(fs, 30) - edge)
            & (p_start + pon_k >= 0))

    # --- T ---------------------------------------------------------------------------------
    yt_full = _gauss(y, fs, 14.0, 0)
    dt_full = np.gradient(yt_full, axis=-1) * fs
    tw = _ms(fs, 700)
    t_start = qrs_off + _ms(fs, 40)
    t_end = beats + np.minimum(0.62 * rr_next, fs * 0.58).astype(np.int64)
    yt, tidx = _take(yt_full, t_start, tw)
    dt, _ = _take(dt_full, t_start, tw)
    kt = np.arange(tw)
    tsearch = (tidx <= t_end[..., None]) & (tidx < n)
    tdev = yt - pr_level
    tk = _masked_argmax(np.abs(tdev), tsearch)
    t_amp = np.take_along_axis(tdev, tk[..., None], axis=-1)[..., 0]
    tup = t_amp > 0
    tsg = np.where(tup, 1.0, -1.0)[..., None]
    m_t = _masked_argmax(-tsg * dt, (kt >= tk[..., None]) & (kt <= tk[..., None] + _ms(fs, 150)) & (tidx < n))
    limit = np.minimum(beats + rr_next - 0.25 * rr_next, n - 1).astype(np.int64) - t_start
    tr = np.minimum(m_t + _ms(fs, T_REF_MS), np.minimum(limit, tw - 1))
    toff_k = _trapezium(yt, m_t, np.maximum(tr, m_t), tup)
    t_ok = (qrs_ok & (np.abs(t_amp) > T_MIN_REL * qrs_amp) & (np.abs(t_amp) > NOISE_K * noise)
            & (tk > edge) & (t_start + tk < t_end - edge) & (t_start + toff_k < n - 1)
            & (tidx[..., 0] + tk < n))

    if consensus:
        qrs_on = _towards_consensus(qrs_on, qrs_ok, fs, CLIP_MS.get("qrs_on"))
        qrs_off = _towards_consensus(qrs_off, qrs_ok, fs, CLIP_MS.get("qrs_off"))
        pon_k = _towards_consensus(p_start + pon_k, p_ok, fs, CLIP_MS.get("p_on")) - p_start
        poff_k = _towards_consensus(p_start + poff_k, p_ok, fs, CLIP_MS.get("p_off")) - p_start
        r_peak = _towards_consensus(r_peak, qrs_ok, fs, CLIP_MS.get("r_peak"))
        pk = _towards_consensus(p_start + pk, p_ok, fs, CLIP_MS.get("p_peak")) - p_start
        tk = _towards_consensus(t_start + tk, t_ok, fs, CLIP_MS.get("t_peak")) - t_start
        toff_k = _towards_consensus(t_start + toff_k, t_ok, fs, CLIP_MS.get("t_off")) - t_start
    out = []
    for lead in range(L):
        q, p, t = qrs_ok[lead], p_ok[lead], t_ok[lead]
        out.append({
            "p_on": (p_start + pon_k)[lead][p], "p_peak": (p_start + pk)[lead][p],
            "p_off": (p_start + poff_k)[lead][p],
            "qrs_on": qrs_on[lead][q], "r_peak": r_peak[lead][q], "qrs_off": qrs_off[lead][q],
            "t_peak": (t_start + tk)[lead][t], "t_off": (t_start + toff_k)[lead][t],
        })
        for key in KEYS:
            out[-1][key] = out[-1][key].astype(np.int64)
    return beats, out


def check_fs(fs: float) -> float:
    fs = float(fs)
    if not np.isfinite(fs) or fs < MIN_FS:
        raise SynthECGError(f"fs: measurement needs a sampling rate of at least {MIN_FS:g} Hz, got {fs:g}")
    return fs


def delineate(x: np.ndarray, fs: float) -> dict | list[dict]:
    """Delineate P, QRS and T waves.

    x: (n_samples,) or (n_leads, n_samples) in mV; fs in Hz (>= 250).
    Returns for 1-D input a dict of int64 sample-index arrays with the keys
    ``p_on, p_peak, p_off, qrs_on, r_peak, qrs_off, t_peak, t_off`` (a wave that is absent is
    not in its array), for 2-D input a list of such dicts, one per lead. Beats are detected on
    all leads together.
    """
    fs = check_fs(fs)
    x = np.asarray(x)
    if x.ndim not in (1, 2):
        raise SynthECGError(f"x: expected (n_samples,) or (n_leads, n_samples), got shape {x.shape}")
    if x.shape[-1] < int(fs):
        raise SynthECGError(f"x: {x.shape[-1]} samples is shorter than one second at {fs:g} Hz")
    y = condition(np.atleast_2d(x), fs)
    _, result = delineate_conditioned(y, fs)
    return result[0] if x.ndim == 1 else result
