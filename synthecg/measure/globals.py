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
from .delineation import check_fs, condition, delineate_conditioned, remove_spikes

INTERVALS = ("heart_rate", "rr_interval", "pr_interval", "qrs_duration", "qt_interval",
             "qtc_bazett", "qtc_fridericia", "p_axis", "qrs_axis", "t_axis")
AMPLITUDES = ("p", "q", "r", "s", "t")
MAX_PLAUSIBLE_MV = 12.0  # a lead whose robust peak-to-peak exceeds this is not in mV


def columns(leads=STANDARD_12) -> list[str]:
    cols = list(INTERVALS)
    for lead in leads:
        cols += [f"{w}_amplitude_{lead}" for w in AMPLITUDES] + [f"st_level_{lead}"]
    return cols + ["quality"]


def _to_12_mv(batch: ECGBatch) -> np.ndarray:
    """(n, 12, samples) float64 mV in STANDARD_12 order; limb leads derived when missing."""
    names = [normalize_lead_name(lead) for lead in batch.leads]
    index = {name: i for i, name in enumerate(names)}
    missing = [lead for lead in INDEPENDENT_8 if lead not in index]
    if missing:
        raise SynthECGError(f"leads: measurement needs I, II and V1-V6, missing {', '.join(missing)}")
    scale = 1.0 if batch.units == "mV" else 1e-3
    x = batch.signals.astype(np.float64) * scale
    derived = limb_leads_from_i_ii(x[:, index["I"]], x[:, index["II"]])
    out = np.empty((len(batch), 12, batch.n_samples))
    for row, lead in enumerate(STANDARD_12):
        out[:, row] = x[:, index[lead]] if lead in index else derived[lead]
    return out


def _quality_flags(x: np.ndarray, fs: float) -> list[str]:
    """Reasons that make a whole ECG (12, samples) unmeasurable, or warnings about it."""
    reasons = []
    finite = np.isfinite(x)
    if (~finite).all(axis=-1).any():
        reasons.append("nan_lead")
    if x.shape[-1] < 2.5 * fs:
        reasons.append("too_short")
    xz = np.where(finite, x, 0.0)
    sub = xz[:, ::4]  # robust amplitude from every 4th sample: cheap, and spikes do not count
    lo_hi = np.percentile(sub, [0.5, 99.5], axis=-1)
    p99 = lo_hi[1] - lo_hi[0]
    if (p99 < 0.02).all():
        reasons.append("flat")
    elif np.median(p99[p99 > 0]) > MAX_PLAUSIBLE_MV:
        reasons.append("implausible_amplitude")
    # clipping: a lead sitting at its extreme value for >= 1 % of the record
    hi, lo = xz.max(axis=-1, keepdims=True), xz.min(axis=-1, keepdims=True)
    at_rail = ((xz == hi) | (xz == lo)).mean(axis=-1)
    if ((at_rail > 0.01) & ((hi - lo)[..., 0] > 0.02)).any():
        reasons.append("clipped")
    if remove_spikes(xz, fs)[1].any():
        reasons.append("pacemaker_spikes")  # removed before delineation; values still measured
    return reasons


PLAUSIBLE_MS = {"pr_interval": (50.0, 450.0), "qrs_duration": (40.0, 250.0),
                "qt_interval": (180.0, 700.0)}  # outside: NaN with reason implausible_<name>
RANK = 1  # global onset = second-earliest lead onset (offset: second-latest)
FATAL = {"flat", "too_short", "implausible_amplitude"}


def _median_beats(y: np.ndarray, beats: np.ndarray, before: int, after: int) -> np.ndarray:
    idx = beats[:, None] + np.arange(-before, after)
    return np.median(y[:, idx], axis=1)  # (leads, window)


def _measure_one(x: np.ndarray, fs: float) -> dict:
    row = {c: np.nan for c in columns()}
    reasons = _quality_flags(x, fs)
    if FATAL & set(reasons):
        row["quality"] = ";".join(reasons)
        return row
    y = condition(x, fs)
    beats, marks = delineate_conditioned(y, fs, consensus=False)
    if beats.size < 2:
        row["quality"] = ";".join(reasons + ["too_short"])
        return row
    B = beats.size

    def beat_of(key: str, pos: np.ndarray) -> np.ndarray:
        """Index of the beat a mark belongs to: onsets and P lie before its fiducial point,
        offsets and T after it (nearest fiducial after shifting the mark by 100 ms)."""
        shift = 0.1 * fs if key.startswith("p_") or key.endswith("_on") else -0.1 * fs
        p = pos + shift
        j = np.clip(np.searchsorted(beats, p), 1, B - 1) if B > 1 else np.zeros(p.size, int)
        return np.where(np.abs(beats[j - 1] - p) < np.abs(beats[j] - p), j - 1, j)

    def per_beat(key: str, earliest: bool) -> np.ndarray:
        """Global position per beat: earliest (or latest) over leads, NaN where no lead has it."""
        pos = np.concatenate([m[key] for m in marks]).astype(float)
        j = beat_of(key, pos)
        order = np.lexsort((pos if earliest else -pos, j))
        pos, j = pos[order], j[order]
        first = np.searchsorted(j, np.arange(B))
        n = np.bincount(j, minlength=B)
        # the RANK-th earliest (latest) lead: one stray lead cannot stretch the interval
        rank = np.minimum(np.maximum(n - 1, 0), np.where(n >= 3 * (RANK + 1), RANK, 0))
        out = np.full(B, np.nan)
        has = n > 0
        out[has] = pos[first[has] + rank[has]]
        return out

    def count(key: str) -> np.ndarray:
        pos = np.concatenate([m[key] for m in marks])
        return np.bincount(beat_of(key, pos), minlength=B)

    ms = 1000.0 / fs
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        qrs_on, qrs_off = per_beat("qrs_on", True), per_beat("qrs_off", False)
        p_on = np.where(count("p_on") >= 3, per_beat("p_on", True), np.nan)
        t_off = np.where(count("t_off") >= 3, per_beat("t_off", False), np.nan)
        rr = np.median(np.diff(beats)) * ms
        row["rr_interval"] = rr
        row["heart_rate"] = 60000.0 / rr
        row["qrs_duration"] = np.nanmedian(qrs_off - qrs_on) * ms
        if np.isfinite(p_on).mean() >= 0.5:
            row["pr_interval"] = np.nanmedian(qrs_on - p_on) * ms
        else:
            reasons.append("no_p_wave")
        if np.isfinite(t_off).mean() >= 0.5:
            row["qt_interval"] = np.nanmedian(t_off - qrs_on) * ms
        else:
            reasons.append("no_t_wave")
        for name, (lo, hi) in PLAUSIBLE_MS.items():
            if np.isfinite(row[name]) and not lo <= row[name] <= hi:
                row[name] = np.nan
                reasons.append(f"implausible_{name}")
        rr_s = rr / 1000.0
        row["qtc_bazett"] = row["qt_interval"] / np.sqrt(rr_s)
        row["qtc_fridericia"] = row["qt_interval"] / np.cbrt(rr_s)

        # representative beats, relative fiducials
        rel = lambda v: np.nanmedian(v - beats)  # noqa: E731
        r_qon, r_qoff = rel(qrs_on), rel(qrs_off)
        r_pon = rel(p_on)
        r_poff = rel(np.where(np.isfinite(p_on), per_beat("p_off", False), np.nan))
        r_toff = rel(t_off)
        before = int(np.ceil(max(0.35 * fs, -np.nan_to_num(r_pon) + 0.02 * fs)))
        after = int(np.ceil(max(0.6 * fs, np.nan_to_num(r_toff) + 0.1 * fs)))
        keep = (beats - before >= 0) & (beats + after <= y.shape[-1])
        if keep.sum() < 1:
            row["quality"] = ";".join(reasons + ["too_short"])
            return row
        mb = _median_beats(y, beats[keep], before, after)  # (12, W) mV
        c = before
        qon, qoff = int(round(c + r_qon)), int(round(c + r_qoff))
        base = mb[:, max(qon - int(0.01 * fs), 0):qon + 1].mean(axis=-1, keepdims=True)
        d = (mb - base) * 1000.0  # µV
        qrs = d[:, qon:qoff + 1]
        r_idx = np.argmax(qrs, axis=-1)
        k = np.arange(qrs.shape[-1])
        r_amp = np.maximum(qrs.max(axis=-1), 0.0)
        q_amp = np.minimum(np.where(k <= r_idx[:, None], qrs, np.inf).min(axis=-1), 0.0)
        s_amp = np.minimum(np.where(k >= r_idx[:, None], qrs, np.inf).min(axis=-1), 0.0)
        j60 = qoff + int(round(0.06 * fs))
        st = d[:, j60] if j60 < d.shape[-1] else np.full(12, np.nan)

        def wave(lo, hi):
            if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
                return np.full(12, np.nan), np.full(12, np.nan)
            seg = d[:, int(round(lo)):int(round(hi)) + 1]
            peak = np.take_along_axis(seg, np.argmax(np.abs(seg), axis=-1)[:, None], axis=-1)[:, 0]
            return peak, seg.sum(axis=-1)

        p_amp, p_area = wave(c + r_pon, c + r_poff) if np.isfinite(r_pon) else wave(np.nan, np.nan)
        t_amp, t_area = wave(qoff + 0.04 * fs, c + r_toff) if np.isfinite(r_toff) else wave(np.nan, np.nan)
        qrs_area = qrs.sum(axis=-1)

    lead_i, lead_avf = STANDARD_12.index("I"), STANDARD_12.index("aVF")

    def axis(area):
        if not np.isfinite(area[[lead_i, lead_avf]]).all():
            return np.nan
        return float(np.degrees(np.arctan2(area[lead_avf], area[lead_i])))

    row["p_axis"], row["qrs_axis"], row["t_axis"] = axis(p_area), axis(qrs_area), axis(t_area)
    for n, lead in enumerate(STANDARD_12):
        row[f"p_amplitude_{lead}"] = p_amp[n]
        row[f"q_amplitude_{lead}"] = q_amp[n]
        row[f"r_amplitude_{lead}"] = r_amp[n]
        row[f"s_amplitude_{lead}"] = s_amp[n]
        row[f"t_amplitude_{lead}"] = t_amp[n]
        row[f"st_level_{lead}"] = st[n]
    row["quality"] = ";".join(reasons) if reasons else "ok"
    return row


def _measure_safe(x: np.ndarray, fs: float) -> dict:
    try:
        return _measure_one(x, fs)
    except (ValueError, IndexError, FloatingPointError) as exc:  # never an uncaught exception
        row = {c: np.nan for c in columns()}
        row["quality"] = f"error:{type(exc).__name__}"
        return row


def measure(batch: ECGBatch, threads: int | None = None) -> pd.DataFrame:
    """Global measurements of every ECG in ``batch``: a DataFrame with one row per ECG.

    Columns: heart_rate (bpm), rr_interval, pr_interval, qrs_duration, qt_interval, qtc_bazett,
    qtc_fridericia (ms), p_axis, qrs_axis, t_axis (degrees), per lead p/q/r/s/t amplitudes and
    st_level (µV, ST at J + 60 ms; q and s are <= 0), and quality. Accepts µV or mV batches,
    12 leads or the 8 independent ones (limb leads derived), any fs >= 250 Hz.
    ``threads``: ECGs measured in parallel (default: the CPU count, at most 8; numpy and scipy
    release the GIL in the heavy steps).
    """
    if not isinstance(batch, ECGBatch):
        raise SynthECGError(f"measure: expected an ECGBatch, got {type(batch).__name__}")
    fs = check_fs(batch.fs)
    x12 = _to_12_mv(batch)
    threads = min(os.cpu_count() or 1, 8) if threads is None else max(1, int(threads))
    if threads == 1 or len(batch) < 4:
        rows = [_measure_safe(x, fs) for x in x12]
    else:
        with ThreadPoolExecutor(threads) as pool:
            rows = list(pool.map(_measure_safe, x12, [fs] * len(batch)))
    return pd.DataFrame(rows, columns=columns())
