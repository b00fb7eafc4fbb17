"""Global 12-lead measurements, one row per ECG, the way 12SL-type programs make them.

Per ECG: beats are detected on all leads together and every lead is delineated
(:mod:`synthecg.measure.delineation`). Global fiducials per beat are the earliest onset and the
latest offset over the leads that show the wave (per-lead marks are already held near the
across-lead median, so one stray lead cannot stretch an interval); intervals are medians over
beats. Amplitudes come from a representative (median) beat per lead, aligned on the beats'
fiducial points, measured against the PR-segment level (the 10 ms before the global QRS onset).
Axes are frontal-plane angles of the net area of P, QRS and T in leads I and aVF.

``quality`` is ``ok`` or a ``;``-separated list of reasons: ``flat``, ``too_short``,
``implausible_amplitude`` (e.g. µV data labelled mV), ``nan_lead``, ``clipped``,
``pacemaker_spikes`` (removed before delineation, values still given),
``no_p_wave``, ``no_t_wave``, ``implausible_<interval>`` (a PR, QRS or QT outside physiological
bounds is withheld rather than reported wrong). Values that cannot be measured are NaN.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8, STANDARD_12, limb_leads_from_i_ii, normalize_lead_name
from .delineation import check_fs, condition, delineate_batch, nanmedian

INTERVALS = ("heart_rate", "rr_interval", "pr_interval", "qrs_duration", "qt_interval",
             "qtc_bazett", "qtc_fridericia", "p_axis", "qrs_axis", "t_axis")
AMPLITUDES = ("p", "q", "r", "s", "t")
MAX_PLAUSIBLE_MV = 12.0  # a lead whose robust peak-to-peak exceeds this is not in mV


def columns(leads=STANDARD_12) -> list[str]:
    cols = list(INTERVALS)
    for lead in leads:
        cols += [f"{w}_amplitude_{lead}" for w in AMPLITUDES] + [f"st_level_{lead}"]
    return cols + ["quality"]


def _to_12_mv(batch: ECGBatch, start: int = 0, stop: int | None = None) -> np.ndarray:
    """ECGs start:stop as (n, 12, samples) float64 mV in STANDARD_12 order; limb leads derived
    when missing."""
    names = [normalize_lead_name(lead) for lead in batch.leads]
    index = {name: i for i, name in enumerate(names)}
    missing = [lead for lead in INDEPENDENT_8 if lead not in index]
    if missing:
        raise SynthECGError(f"leads: measurement needs I, II and V1-V6, missing {', '.join(missing)}")
    scale = 1.0 if batch.units == "mV" else 1e-3
    x = batch.signals[start:stop].astype(np.float64) * scale
    derived = limb_leads_from_i_ii(x[:, index["I"]], x[:, index["II"]])
    out = np.empty((x.shape[0], 12, batch.n_samples))
    for row, lead in enumerate(STANDARD_12):
        out[:, row] = x[:, index[lead]] if lead in index else derived[lead]
    return out


def _quality_flags(x: np.ndarray, fs: float, spiky: np.ndarray) -> list[list[str]]:
    """Reasons that make each ECG of x (N, 12, samples) unmeasurable, or warnings about it;
    ``spiky`` (N, 12): leads with pacemaker spikes (from conditioning)."""
    N = x.shape[0]
    finite = np.isfinite(x)
    nan_lead = (~finite).all(axis=-1).any(axis=-1)
    xz = np.where(finite, x, 0.0)
    sub = xz[..., ::4]  # robust amplitude from every 4th sample: cheap, and spikes do not count
    lo_hi = np.percentile(sub, [0.5, 99.5], axis=-1)
    p99 = lo_hi[1] - lo_hi[0]
    flat = (p99 < 0.02).all(axis=-1)
    with np.errstate(all="ignore"):  # RuntimeWarnings: filtered once in measure(), around the threads
        typical = nanmedian(np.where(p99 > 0, p99, np.nan), -1)
    implausible = ~flat & (typical > MAX_PLAUSIBLE_MV)
    # clipping: a lead sitting at its extreme value for >= 1 % of the record
    hi, lo = xz.max(axis=-1, keepdims=True), xz.min(axis=-1, keepdims=True)
    at_rail = ((xz == hi) | (xz == lo)).mean(axis=-1)
    clipped = ((at_rail > 0.01) & ((hi - lo)[..., 0] > 0.02)).any(axis=-1)
    paced = spiky.any(axis=-1)
    short = x.shape[-1] < 2.5 * fs
    flags = []
    for i in range(N):
        reasons = [name for name, on in (("nan_lead", nan_lead[i]), ("too_short", short),
                                         ("flat", flat[i]), ("implausible_amplitude", implausible[i]),
                                         ("clipped", clipped[i]), ("pacemaker_spikes", paced[i])) if on]
        flags.append(reasons)
    return flags


PLAUSIBLE_MS = {"pr_interval": (50.0, 450.0), "qrs_duration": (40.0, 250.0),
                "qt_interval": (180.0, 700.0)}  # outside: NaN with reason implausible_<name>
RANK = 1  # global onset = second-earliest lead onset (offset: second-latest)
FATAL = {"flat", "too_short", "implausible_amplitude"}
CHUNK = 8  # ECGs delineated together: big enough to amortise numpy's per-call cost, small
            # enough that the (ECGs, leads, beats, window) arrays stay a few tens of MB


def _global(pos: np.ndarray, ok: np.ndarray, earliest: bool) -> np.ndarray:
    """Global position per beat (N, B) from per-lead marks (N, L, B): the RANK-th earliest
    (latest) lead where at least 3 x (RANK + 1) leads have the wave, so one stray lead cannot
    stretch an interval; NaN where no lead has it."""
    v = np.where(ok, pos.astype(float), np.nan)
    s = np.sort(v if earliest else -v, axis=-2)  # NaN last
    n = ok.sum(axis=-2)
    rank = np.minimum(np.maximum(n - 1, 0), np.where(n >= 3 * (RANK + 1), RANK, 0))
    out = np.take_along_axis(s, rank[..., None, :], axis=-2)[..., 0, :]
    return np.where(n > 0, out if earliest else -out, np.nan)


def _own_beat(pos: np.ndarray, ok: np.ndarray, fid: np.ndarray, fs: float, key: str) -> np.ndarray:
    """``ok`` (N, L, B) limited to marks that lie nearer their own beat's fiducial point than a
    neighbour's, after moving onsets and P marks 100 ms later and QRS / T ends 100 ms earlier:
    a T end (or onset) that strays towards the next (previous) beat is left out, not taken as
    the latest (earliest)."""
    p = pos + (0.1 * fs if key.startswith("p_") or key.endswith("_on") else -0.1 * fs)
    own = fid[:, None, :]
    prev = np.pad(fid, ((0, 0), (1, 0)), constant_values=np.nan)[:, None, :-1]
    nxt = np.pad(fid, ((0, 0), (0, 1)), constant_values=np.nan)[:, None, 1:]
    far = lambda f: np.where(np.isfinite(f), np.abs(p - f), np.inf)  # noqa: E731
    d = np.abs(p - own)
    return ok & (d <= far(prev)) & (d < far(nxt))


def _masked_extreme(d: np.ndarray, mask: np.ndarray, largest: bool) -> np.ndarray:
    v = np.where(mask, d, -np.inf if largest else np.inf)
    return v.max(axis=-1) if largest else v.min(axis=-1)


def _measure_chunk(x: np.ndarray, fs: float) -> tuple[dict, list[str]]:
    """Columns (name -> (N,) array) and quality strings for ECGs x (N, 12, samples) mV."""
    N, L, n = x.shape
    cols = {c: np.full(N, np.nan) for c in columns()[:-1]}
    y, spiky = condition(x, fs, spikes=True)
    reasons = _quality_flags(x, fs, spiky)
    live = np.array([not (FATAL & set(r)) for r in reasons])
    if not live.any():
        return cols, reasons
    res = delineate_batch(y[live], fs, consensus=False)
    y = y[live]
    M = y.shape[0]
    beats = np.array([b.size for b in res["beats"]])
    valid = res["valid"][:, 0]  # (M, B)
    ms = 1000.0 / fs
    with np.errstate(all="ignore"):  # RuntimeWarnings: filtered once in measure(), around the threads
        fid = np.where(valid, np.array([np.pad(b, (0, valid.shape[1] - b.size)) for b in res["beats"]],
                                       dtype=float).reshape(valid.shape), np.nan)
        ok = {key: _own_beat(res[key], res[wave + "_ok"], fid, fs, key)
              for key, wave in (("qrs_on", "qrs"), ("qrs_off", "qrs"), ("p_on", "p"), ("p_off", "p"),
                                ("t_off", "t"))}
        qrs_on = np.where(valid, _global(res["qrs_on"], ok["qrs_on"], True), np.nan)
        qrs_off = np.where(valid, _global(res["qrs_off"], ok["qrs_off"], False), np.nan)
        p_on = np.where(ok["p_on"].sum(-2) >= 3, _global(res["p_on"], ok["p_on"], True), np.nan)
        p_off = np.where(np.isfinite(p_on), _global(res["p_off"], ok["p_off"], False), np.nan)
        t_off = np.where(ok["t_off"].sum(-2) >= 3, _global(res["t_off"], ok["t_off"], False), np.nan)
        rr = nanmedian(np.diff(fid, axis=-1), -1) * ms
        qrs = nanmedian(qrs_off - qrs_on, -1) * ms
        has_p = np.isfinite(p_on).sum(-1) >= 0.5 * beats
        has_t = np.isfinite(t_off).sum(-1) >= 0.5 * beats
        pr = np.where(has_p, nanmedian(qrs_on - p_on, -1) * ms, np.nan)
        qt = np.where(has_t, nanmedian(t_off - qrs_on, -1) * ms, np.nan)
        values = {"rr_interval": rr, "heart_rate": 60000.0 / rr, "qrs_duration": qrs,
                  "pr_interval": pr, "qt_interval": qt}
        rel = {name: nanmedian(v - fid, -1) for name, v in
               (("qon", qrs_on), ("qoff", qrs_off), ("pon", p_on), ("poff", p_off), ("toff", t_off))}

        # representative beats: one window for the chunk, beats kept per ECG by its own span
        before_e = np.ceil(np.maximum(0.35 * fs, -np.nan_to_num(rel["pon"]) + 0.02 * fs)).astype(int)
        after_e = np.ceil(np.maximum(0.6 * fs, np.nan_to_num(rel["toff"]) + 0.1 * fs)).astype(int)
        keep = valid & (fid - before_e[:, None] >= 0) & (fid + after_e[:, None] <= n)
        before, after = int(before_e.max()), int(after_e.max())
        start = np.where(keep, fid, n // 2).astype(np.int64) - before
        win = _take_windows(y, start, before + after)  # (M, L, window, B)
        win = np.where(keep[:, None, None, :], win, np.nan)
        mb = nanmedian(win, -1)  # (M, L, window) mV
        c = before
        qon = np.rint(c + np.nan_to_num(rel["qon"])).astype(int)
        qoff = np.rint(c + np.nan_to_num(rel["qoff"])).astype(int)
        k = np.arange(mb.shape[-1])
        pre = (k >= np.maximum(qon - int(0.01 * fs), 0)[:, None]) & (k <= qon[:, None])
        base = np.nanmean(np.where(pre[:, None], mb, np.nan), axis=-1, keepdims=True)
        d = (mb - base) * 1000.0  # µV
        in_qrs = ((k >= qon[:, None]) & (k <= qoff[:, None]))[:, None]  # (M, 1, window)
        r_amp = np.maximum(_masked_extreme(d, in_qrs, True), 0.0)
        r_idx = np.argmax(np.where(in_qrs, d, -np.inf), axis=-1)[..., None]
        q_amp = np.minimum(_masked_extreme(d, in_qrs & (k <= r_idx), False), 0.0)
        s_amp = np.minimum(_masked_extreme(d, in_qrs & (k >= r_idx), False), 0.0)
        j60 = qoff + int(round(0.06 * fs))
        st = np.take_along_axis(d, np.minimum(j60, d.shape[-1] - 1)[:, None, None], axis=-1)[..., 0]
        st = np.where((j60 < d.shape[-1])[:, None], st, np.nan)
        qrs_area = np.where(in_qrs, d, 0.0).sum(-1)

        def wave(lo, hi):
            """Peak (largest |deviation|) and net area of d between lo and hi (per ECG, rounded)."""
            good = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
            lo_i, hi_i = np.rint(np.nan_to_num(lo)).astype(int), np.rint(np.nan_to_num(hi)).astype(int)
            inside = ((k >= lo_i[:, None]) & (k <= hi_i[:, None]))[:, None]
            seg = np.where(inside, d, 0.0)
            peak = np.take_along_axis(d, np.argmax(np.abs(seg), axis=-1)[..., None], axis=-1)[..., 0]
            return (np.where(good[:, None], peak, np.nan), np.where(good[:, None], seg.sum(-1), np.nan))

        p_amp, p_area = wave(c + rel["pon"], c + rel["poff"])
        t_amp, t_area = wave(qoff + 0.04 * fs, c + rel["toff"])
        i_, f_ = STANDARD_12.index("I"), STANDARD_12.index("aVF")
        axes = {name: np.degrees(np.arctan2(a[:, f_], a[:, i_])) for name, a in
                (("p_axis", p_area), ("qrs_axis", qrs_area), ("t_axis", t_area))}

    # rows: fill in ECG by ECG the reasons the arrays imply
    rows = np.flatnonzero(live)
    for j, i in enumerate(rows):
        if beats[j] < 2 or not keep[j].any():
            reasons[i].append("too_short")
            continue
        if not has_p[j]:
            reasons[i].append("no_p_wave")
        if not has_t[j]:
            reasons[i].append("no_t_wave")
        for name, (lo, hi) in PLAUSIBLE_MS.items():
            v = values[name][j]
            if np.isfinite(v) and not lo <= v <= hi:
                values[name][j] = np.nan
                reasons[i].append(f"implausible_{name}")
    done = rows[(beats >= 2) & keep.any(-1)]
    sel = (beats >= 2) & keep.any(-1)
    for name, v in values.items():
        cols[name][done] = v[sel]
    rr_s = cols["rr_interval"] / 1000.0
    cols["qtc_bazett"] = cols["qt_interval"] / np.sqrt(rr_s)
    cols["qtc_fridericia"] = cols["qt_interval"] / np.cbrt(rr_s)
    for name, v in axes.items():
        cols[name][done] = v[sel]
    for idx, lead in enumerate(STANDARD_12):
        for name, a in (("p_amplitude", p_amp), ("q_amplitude", q_amp), ("r_amplitude", r_amp),
                        ("s_amplitude", s_amp), ("t_amplitude", t_amp), ("st_level", st)):
            cols[f"{name}_{lead}"][done] = a[sel, idx]
    return cols, reasons


def _take_windows(y: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
    """y[m, l, start[m, b] + k] as (M, L, length, B): beats last, so medians run on contiguous rows."""
    M, L, n = y.shape
    idx = np.clip(start[:, None, :] + np.arange(length)[:, None], 0, n - 1)  # (M, length, B)
    return y[np.arange(M)[:, None, None, None], np.arange(L)[None, :, None, None], idx[:, None]]


def _measure_safe(x: np.ndarray, fs: float) -> tuple[dict, list[str]]:
    try:
        return _measure_chunk(x, fs)
    except (ValueError, IndexError, FloatingPointError) as exc:  # never an uncaught exception
        if len(x) > 1:  # find the ECG that failed; measure the others
            parts = [_measure_safe(x[i:i + 1], fs) for i in range(len(x))]
            return ({c: np.concatenate([p[0][c] for p in parts]) for c in parts[0][0]},
                    [r for p in parts for r in p[1]])
        return {c: np.full(1, np.nan) for c in columns()[:-1]}, [[f"error:{type(exc).__name__}"]]


def measure(batch: ECGBatch, threads: int | None = None) -> pd.DataFrame:
    """Global measurements of every ECG in ``batch``: a DataFrame with one row per ECG.

    Columns: heart_rate (bpm), rr_interval, pr_interval, qrs_duration, qt_interval, qtc_bazett,
    qtc_fridericia (ms), p_axis, qrs_axis, t_axis (degrees), per lead p/q/r/s/t amplitudes and
    st_level (µV, ST at J + 60 ms; q and s are <= 0), and quality. Accepts µV or mV batches,
    12 leads or the 8 independent ones (limb leads derived), any fs >= 250 Hz.
    ECGs are measured in chunks of CHUNK, every step an array operation over the chunk;
    ``threads``: chunks measured in parallel (default: the CPU count, at most 8; numpy and
    scipy release the GIL in the heavy steps).
    """
    if not isinstance(batch, ECGBatch):
        raise SynthECGError(f"measure: expected an ECGBatch, got {type(batch).__name__}")
    fs = check_fs(batch.fs)
    _to_12_mv(batch, 0, 0)  # the lead check, before any work
    threads = min(os.cpu_count() or 1, 8) if threads is None else max(1, int(threads))
    # chunks converted to 12-lead mV one at a time: memory follows the chunk, not the batch
    # CHUNK is for 10-s records at 500 Hz; longer or denser records go in fewer per chunk
    size = max(1, int(CHUNK * 5000 / max(batch.n_samples, 1)))
    chunks = [(i, min(i + size, len(batch))) for i in range(0, len(batch), size)]
    work = lambda se: _measure_safe(_to_12_mv(batch, *se), fs)  # noqa: E731
    # The warning filter is process-wide and catch_warnings is not thread-safe: a worker leaving
    # its own block restores the filters while another is still inside (numpy's "Mean of empty
    # slice" leaked that way). Set once here, around all the workers.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if threads == 1 or len(chunks) < 2:
            parts = [work(se) for se in chunks]
        else:
            with ThreadPoolExecutor(min(threads, len(chunks))) as pool:
                parts = list(pool.map(work, chunks))
    names = columns()
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "quality" else float) for c in names})
    data = {c: np.concatenate([p[0][c] for p in parts]) for c in names[:-1]}
    data["quality"] = [";".join(r) if r else "ok" for p in parts for r in p[1]]
    return pd.DataFrame(data, columns=names)
