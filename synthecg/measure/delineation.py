"""Beat detection and per-lead delineation of P, QRS and T waves.

Method (all steps are array operations over ECGs, leads and beats; no per-sample Python loops;
:func:`delineate_batch` takes a chunk of ECGs at once):

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
from scipy import fft as sp_fft
from scipy import ndimage, signal

from ..errors import SynthECGError

# thresholds (fractions of the beat's maximum slope or of the QRS amplitude)
QRS_STRONG = 0.3
QRS_QUIET_ON = 0.01
QRS_QUIET_OFF = 0.02
P_MIN_REL = 0.008
T_MIN_REL = 0.02
NOISE_K = 0.25  # both halves of the LUDB cross-validation chose 0.25 over 0.5 (P sensitivity 0.895 -> 0.909)
P_REF_MS = 40.0
P_OFF_REF_MS = 25.0
T_REF_MS = 70.0
CLIP_MS = {"qrs_on": 6.0, "qrs_off": 6.0, "p_on": 10.0, "p_off": 10.0, "t_off": 15.0, "r_peak": 25.0,
           "p_peak": 10.0, "t_peak": 15.0}
R_FIRST_FRAC = 0.6
R_NEG_RATIO = 0.05  # R peak = deepest point when the largest positive wave is below this x |deepest|
# (0.05 over 0.1: LUDB R-peak bias 1.3 -> 0.6 ms, SD 15.4 -> 15.2, better in both halves)


def nanmedian(a: np.ndarray, axis: int = 0) -> np.ndarray:
    """Median along ``axis`` ignoring NaN (NaN where a slice has none); faster than np.nanmedian
    for the small (ecgs, leads, beats) arrays used here."""
    a = np.moveaxis(a, axis, -1)
    s = np.sort(a, axis=-1)  # NaN sort last
    k = np.isfinite(a).sum(axis=-1)
    lo = np.take_along_axis(s, np.maximum((k - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(s, np.maximum(k // 2, 0)[..., None], axis=-1)[..., 0]
    return np.where(k > 0, (lo + hi) / 2.0, np.nan)


def _towards_consensus(pos: np.ndarray, ok: np.ndarray, fs: float, clip_ms: float) -> np.ndarray:
    """Per-lead positions (..., L, B) held within clip_ms of the median over the leads that have
    the wave."""
    if pos.shape[-2] < 3 or clip_ms is None:
        return pos
    med = nanmedian(np.where(ok, pos.astype(float), np.nan), -2)[..., None, :]
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

    y: (..., n_leads, n_samples) float mV; returns a copy (y itself when there are no spikes)
    and a bool per lead (..., n_leads): had spikes."""
    d2 = np.zeros_like(y)
    d2[..., 1:-1] = np.abs(y[..., 2:] - 2 * y[..., 1:-1] + y[..., :-2])
    # the 99th percentile of every other sample: as good a scale, half the partition work
    limit = np.maximum(SPIKE_MV, SPIKE_RATIO * np.percentile(d2[..., ::2], 99, axis=-1, keepdims=True))
    spikes = d2 > limit
    found = spikes.sum(axis=-1) >= SPIKE_MIN_COUNT
    if not found.any():
        return y, found
    y = y.copy()
    flat_y, flat_s = y.reshape(-1, y.shape[-1]), spikes.reshape(-1, y.shape[-1])
    t = np.arange(y.shape[-1])
    grow = np.ones(2 * max(1, _ms(fs, 4)) + 1, bool)
    for row in np.flatnonzero(found.ravel()):  # a handful of leads, each one np.interp
        bad = ndimage.binary_dilation(flat_s[row], grow)
        flat_y[row, bad] = np.interp(t[bad], t[~bad], flat_y[row, ~bad])
    return y, found


def condition(x: np.ndarray, fs: float, spikes: bool = False):
    """High-passed (0.5 Hz) float64 copy of x (..., n_leads, n_samples) with NaN set to 0 and
    pacemaker spikes removed; with ``spikes=True`` also the per-lead had-spikes flags."""
    y = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    y, found = remove_spikes(y, fs)
    sos = signal.butter(2, 0.5, "highpass", fs=fs, output="sos")
    padlen = min(y.shape[-1] - 1, int(fs))
    y = signal.sosfiltfilt(sos, y, axis=-1, padlen=padlen)
    return (y, found) if spikes else y


def _gauss(y: np.ndarray, fs: float, sigma_ms: float, order: int) -> np.ndarray:
    out = ndimage.gaussian_filter1d(y, sigma_ms * fs / 1000.0, axis=-1, order=order, mode="nearest",
                                    truncate=3.0)
    return out * fs ** order if order else out


SCALES = ((4.0, 1), (8.0, 0), (14.0, 0))  # (sigma ms, order): QRS slope, P wave, T wave


def _gauss_kernel(sigma: float, order: int) -> tuple[np.ndarray, int]:
    """The truncated (3 sigma) Gaussian or Gaussian-derivative kernel of ndimage.gaussian_filter1d."""
    radius = int(3.0 * sigma + 0.5)
    t = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 * (t / sigma) ** 2)
    phi /= phi.sum()
    return (phi if order == 0 else -t / sigma ** 2 * phi), radius


def _gauss_scales(y: np.ndarray, fs: float) -> list[np.ndarray]:
    """y (..., n) filtered at every SCALES entry at once: one FFT of the edge-padded signal,
    one inverse per scale (the padding makes the circular convolution the linear one with
    'nearest' edges, as ndimage.gaussian_filter1d; half the cost of three direct filters)."""
    kernels = [_gauss_kernel(sigma * fs / 1000.0, order) for sigma, order in SCALES]
    r = max(radius for _, radius in kernels)
    n = y.shape[-1]
    size = sp_fft.next_fast_len(n + 2 * r + 1, real=True)
    pad = [(0, 0)] * (y.ndim - 1) + [(r, size - n - r)]
    spectrum = sp_fft.rfft(np.pad(y, pad, mode="edge"), axis=-1)
    out = []
    for (kernel, radius), (_, order) in zip(kernels, SCALES):
        h = np.zeros(size)
        h[:radius + 1] = kernel[radius:]  # kernel centred on sample 0, circularly
        h[size - radius:] = kernel[:radius]
        z = sp_fft.irfft(spectrum * sp_fft.rfft(h), size, axis=-1)[..., r:r + n]
        out.append(z * fs ** order if order else z)
    return out


def _envelopes(d: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """QRS-energy envelope (..., n_samples) from the fine-scale derivative (..., leads, n_samples):
    each lead's squared derivative over its own 99th percentile, averaged over the leads that
    move, 100 ms moving average. Also a bool (...): some lead moves."""
    e = d * d
    scale = np.percentile(e, 99, axis=-1)
    good = scale > 1e-12
    w = np.where(good, 1.0 / np.where(good, scale, 1.0), 0.0) / np.maximum(good.sum(-1, keepdims=True), 1)
    env = np.einsum("...l,...ls->...s", w, e)
    env = ndimage.uniform_filter1d(env, max(1, _ms(fs, 100)), axis=-1, mode="nearest")
    return env, good.any(axis=-1)


def _beats_from_envelope(env: np.ndarray, fs: float) -> np.ndarray:
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


def detect_beats(y: np.ndarray, fs: float, d: np.ndarray | None = None) -> np.ndarray:
    """Fiducial sample of every QRS in conditioned leads y (n_leads, n_samples), sorted.

    ``d``: the fine-scale derivative of y when the caller has it already."""
    y = np.atleast_2d(y)
    d = _gauss(y, fs, 4.0, 1) if d is None else d
    env, good = _envelopes(d, fs)
    return _beats_from_envelope(env, fs) if good else np.zeros(0, dtype=np.int64)


def detect_beats_batch(y: np.ndarray, fs: float, d: np.ndarray | None = None) -> list[np.ndarray]:
    """detect_beats for every ECG of conditioned y (n_ecgs, n_leads, n_samples)."""
    d = _gauss(y, fs, 4.0, 1) if d is None else d
    env, good = _envelopes(d, fs)
    return [_beats_from_envelope(e, fs) if g else np.zeros(0, dtype=np.int64) for e, g in zip(env, good)]


def _take(sig: np.ndarray, start: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows sig[..., l, start[..., l, b] + k] for k < length: values (..., L, B, length) and
    indices; sig (..., L, n), start (..., L, B). Indices outside the record read its edge
    samples. Whole windows are copied out of a strided view (far cheaper than gathering every
    sample by index); the few that cross an edge are gathered index by index."""
    n = sig.shape[-1]
    flat = sig.reshape(-1, n)
    st = start.reshape(flat.shape[0], -1)
    idx = start[..., None] + np.arange(length)
    if length > n:
        values = np.take_along_axis(flat, np.clip(idx, 0, n - 1).reshape(flat.shape[0], -1), axis=-1)
        return values.reshape(idx.shape), idx
    inside = np.clip(st, 0, n - length)
    view = np.lib.stride_tricks.sliding_window_view(flat, length, axis=-1)
    values = view[np.arange(flat.shape[0])[:, None], inside]
    rows, cols = np.nonzero(inside != st)
    if rows.size:  # windows crossing an edge: edge samples, as np.clip of the index gives
        values[rows, cols] = flat[rows[:, None], np.clip(st[rows, cols][:, None] + np.arange(length), 0, n - 1)]
    return values.reshape(idx.shape), idx


def _slopes(ext: np.ndarray, k0: np.ndarray, length: int, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference slopes (per second) at window positions k = k0 + j, j < length, of a
    window ``ext`` (..., W + 2) read one sample wider each side (so they equal np.gradient of
    the full signal); returns slopes (..., length) and k. Positions past the window are clipped
    (callers mask them)."""
    k = k0[..., None] + np.arange(length)
    kc = np.clip(k, 0, ext.shape[-1] - 3)
    d = (np.take_along_axis(ext, kc + 2, axis=-1) - np.take_along_axis(ext, kc, axis=-1)) / 2.0 * fs
    return d, k


def _masked_argmax(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.argmax(np.where(mask, v, -np.inf), axis=-1)


def _trapezium(ys: np.ndarray, m: np.ndarray, r: np.ndarray, rising: np.ndarray, span: int) -> np.ndarray:
    """Index k between m and r (per row, either order) maximising the trapezium area.

    ys: (..., W) smoothed wave; m: max-slope index; r: reference index beyond the boundary,
    at most ``span`` samples from m (only those span + 1 samples are read, not the window).
    ``rising`` says whether the wave at m is above (True) the boundary level.
    """
    lo, hi = np.minimum(m, r)[..., None], np.maximum(m, r)[..., None]
    k = lo + np.arange(span + 1)
    yk = np.take_along_axis(ys, np.minimum(k, ys.shape[-1] - 1), axis=-1)
    ym = np.take_along_axis(ys, m[..., None], axis=-1)
    sign = np.where(rising, 1.0, -1.0)[..., None]
    area = sign * (ym - yk) * np.abs(2 * r[..., None] - k - m[..., None])
    j = _masked_argmax(area, k <= hi)
    return lo[..., 0] + j


def _pad_beats(beats: list[np.ndarray], fs: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Beat lists padded to (N, 1, B) arrays (pads repeat the last beat so every window stays
    in the record; ``valid`` masks them) with the RR interval before and after each beat."""
    N = len(beats)
    counts = np.array([b.size for b in beats])
    B = max(int(counts.max()), 1)
    out = np.zeros((N, B), dtype=np.int64)
    for i, b in enumerate(beats):
        if b.size:
            out[i, :b.size] = b
            out[i, b.size:] = b[-1]
    valid = np.arange(B) < counts[:, None]
    rr = np.diff(out, axis=-1).astype(float)  # (N, B-1); 0 at pads
    one = counts <= 1
    rows = np.arange(N)
    rr_next = np.full((N, B), fs)
    rr_next[:, :-1] = rr
    last = np.maximum(counts - 1, 0)
    rr_next[rows, last] = np.where(one, fs, rr[rows, np.maximum(last - 1, 0)] if B > 1 else fs)
    rr_prev = np.empty((N, B))
    rr_prev[:, 1:] = rr
    rr_prev[:, 0] = np.where(one, fs, rr[:, 0] if B > 1 else fs)
    return out[:, None], valid[:, None], rr_next[:, None], rr_prev[:, None]


def delineate_batch(y: np.ndarray, fs: float, consensus: bool = True) -> dict:
    """Beats and delineation of conditioned ECGs y (N, L, n); see the module docstring.

    Returns a dict: ``beats`` (list of N fiducial arrays), ``valid`` (N, 1, B) real beats
    (B = the most beats of any ECG; shorter ECGs are padded), every key of KEYS as an
    (N, L, B) int64 array of sample indices, and ``qrs_ok`` / ``p_ok`` / ``t_ok`` (N, L, B)
    saying where the wave was found. ``consensus``: hold each lead's marks near the
    across-lead median (the per-lead output); the global measurements take the raw per-lead
    marks and combine them themselves.
    """
    N, L, n = y.shape
    dq, yp_full, yt_full = _gauss_scales(y, fs)
    beat_list = detect_beats_batch(y, fs, dq)
    beats, valid, rr_next, rr_prev = _pad_beats(beat_list, fs)
    B = beats.shape[-1]

    # --- QRS -------------------------------------------------------------------------------
    half = _ms(fs, 200)
    W = 2 * half + 1
    start = np.broadcast_to(beats - half, (N, L, B))
    yq, idx = _take(y, start, W)
    aq, _ = _take(np.abs(dq), start, W)
    del dq
    k = np.arange(W)
    inside = (idx >= 0) & (idx < n)
    centre = (k >= half - _ms(fs, 60)) & (k <= half + _ms(fs, 60))
    base = np.median(yq[..., ::4], axis=-1, keepdims=True)
    dev_q = yq - base
    cmask = centre & inside
    pos_k = _masked_argmax(dev_q, cmask)
    neg_k = _masked_argmax(-dev_q, cmask)
    pos_a = np.take_along_axis(dev_q, pos_k[..., None], axis=-1)[..., 0]
    neg_a = -np.take_along_axis(dev_q, neg_k[..., None], axis=-1)[..., 0]
    if R_FIRST_FRAC < 1.0:  # the first positive peak within R_FIRST_FRAC of the tallest
        lm = np.zeros(dev_q.shape, dtype=bool)
        lm[..., 1:-1] = (dev_q[..., 1:-1] >= dev_q[..., :-2]) & (dev_q[..., 1:-1] > dev_q[..., 2:])
        lm &= cmask & (dev_q >= R_FIRST_FRAC * pos_a[..., None]) & (pos_a[..., None] > 0)
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
    qrs_amp = np.max(np.where(core, yq, base), axis=-1) - np.min(np.where(core, yq, base), axis=-1)
    qrs_ok = valid & (dmax[..., 0] > 0) & (qrs_on >= 0) & (qrs_off < n)
    del yq, aq, idx, dev_q, strong, quiet_on, quiet_off, inside

    # --- P ---------------------------------------------------------------------------------
    pw = _ms(fs, 300)
    p_start = qrs_on - pw
    p_lo = np.maximum(p_start, (beats - 0.45 * rr_prev).astype(np.int64))  # after the previous T
    # a window one sample wider each side, so slopes are the full signal's central differences
    yp_ext, pidx = _take(yp_full, p_start - 1, pw + 2)
    yp, pidx = yp_ext[..., 1:-1], pidx[..., 1:-1]
    kp = np.arange(pw)
    pr_level = np.take_along_axis(yp_full.reshape(N * L, n),
                                  np.clip(qrs_on, 0, n - 1).reshape(N * L, B), axis=-1).reshape(N, L, B, 1)
    search = (pidx >= p_lo[..., None]) & (kp <= pw - _ms(fs, 30)) & (pidx >= 0)
    dev = yp - pr_level
    pk = _masked_argmax(np.abs(dev), search)
    p_amp = np.take_along_axis(dev, pk[..., None], axis=-1)[..., 0]
    up = p_amp > 0
    sgn = np.where(up, 1.0, -1.0)[..., None]
    w80 = _ms(fs, 80)
    # maximum slopes within 80 ms before and after the peak, from sub-windows of the P window
    ds, kk = _slopes(yp_ext, pk - w80, w80 + 1, fs)
    on_ok = (kk >= 0) & np.take_along_axis(search, np.clip(kk, 0, pw - 1), axis=-1)
    m_on = np.where(on_ok.any(-1), pk - w80 + _masked_argmax(sgn * ds, on_ok), 0)
    ds, kk = _slopes(yp_ext, pk, w80 + 1, fs)
    m_off = pk + _masked_argmax(-sgn * ds, kk < pw)
    ref = _ms(fs, P_REF_MS)
    pon_k = _trapezium(yp, m_on, np.maximum(m_on - ref, 0), up, ref)
    poff_k = _trapezium(yp, m_off, np.maximum(np.minimum(m_off + _ms(fs, P_OFF_REF_MS), pw - 1 - _ms(fs, 10)), m_off), up,
                        _ms(fs, P_OFF_REF_MS))
    noise = np.std(y - yp_full, axis=-1, keepdims=True)
    del yp_full, yp, yp_ext, ds, dev, search
    edge = _ms(fs, 15)
    p_ok = (qrs_ok & (np.abs(p_amp) > P_MIN_REL * qrs_amp) & (np.abs(p_amp) > NOISE_K * noise)
            & (pidx[..., 0] + pk - p_lo > edge) & (pk < pw - _ms(fs, 30) - edge)
            & (p_start + pon_k >= 0))
    del pidx

    # --- T ---------------------------------------------------------------------------------
    tw = _ms(fs, 700)
    t_start = qrs_off + _ms(fs, 40)
    t_end = beats + np.minimum(0.62 * rr_next, fs * 0.58).astype(np.int64)
    yt_ext, tidx = _take(yt_full, t_start - 1, tw + 2)
    yt, tidx = yt_ext[..., 1:-1], tidx[..., 1:-1]
    del yt_full
    tsearch = (tidx <= t_end[..., None]) & (tidx < n)
    tdev = yt - pr_level
    tk = _masked_argmax(np.abs(tdev), tsearch)
    t_amp = np.take_along_axis(tdev, tk[..., None], axis=-1)[..., 0]
    tup = t_amp > 0
    tsg = np.where(tup, 1.0, -1.0)[..., None]
    ds, kk = _slopes(yt_ext, tk, _ms(fs, 150) + 1, fs)
    t_in = (kk < tw) & (t_start[..., None] + kk < n)
    m_t = np.where(t_in.any(-1), tk + _masked_argmax(-tsg * ds, t_in), 0)
    limit = np.minimum(beats + rr_next - 0.25 * rr_next, n - 1).astype(np.int64) - t_start
    tr = np.minimum(m_t + _ms(fs, T_REF_MS), np.minimum(limit, tw - 1))
    toff_k = _trapezium(yt, m_t, np.maximum(tr, m_t), tup, _ms(fs, T_REF_MS))
    t_ok = (qrs_ok & (np.abs(t_amp) > T_MIN_REL * qrs_amp) & (np.abs(t_amp) > NOISE_K * noise)
            & (tk > edge) & (t_start + tk < t_end - edge) & (t_start + toff_k < n - 1)
            & (tidx[..., 0] + tk < n))
    del yt, yt_ext, ds, tdev, tsearch, tidx

    out = {"beats": beat_list, "valid": valid, "qrs_ok": qrs_ok, "p_ok": p_ok, "t_ok": t_ok,
           "qrs_on": qrs_on, "r_peak": r_peak, "qrs_off": qrs_off,
           "p_on": p_start + pon_k, "p_peak": p_start + pk, "p_off": p_start + poff_k,
           "t_peak": t_start + tk, "t_off": t_start + toff_k}
    if consensus:
        for key in KEYS:
            ok = out[("qrs" if key in ("qrs_on", "qrs_off", "r_peak") else key[0]) + "_ok"]
            out[key] = _towards_consensus(out[key], ok, fs, CLIP_MS.get(key))
    for key in KEYS:
        out[key] = np.asarray(out[key], dtype=np.int64)
    return out


def _per_lead(result: dict, i: int) -> list[dict]:
    """ECG i of a delineate_batch result as one dict of found marks per lead."""
    ok = {"qrs": result["qrs_ok"][i], "p": result["p_ok"][i], "t": result["t_ok"][i]}
    leads = []
    for lead in range(ok["qrs"].shape[0]):
        leads.append({key: result[key][i, lead][ok["qrs" if key in ("qrs_on", "qrs_off", "r_peak")
                                                   else key[0]][lead]] for key in KEYS})
    return leads


def delineate_conditioned(y: np.ndarray, fs: float,
                          consensus: bool = True) -> tuple[np.ndarray, list[dict]]:
    """Beats and per-lead delineation of one conditioned ECG y (n_leads, n_samples)."""
    result = delineate_batch(np.atleast_2d(y)[None], fs, consensus)
    return result["beats"][0], _per_lead(result, 0)


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
