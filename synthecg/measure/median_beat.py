"""Representative (median) beats: one R-aligned beat per lead, the basis of amplitude
measurements, overlays, embeddings and the privacy audit's shift-invariant representation."""

from __future__ import annotations

import numpy as np

from ..ecg import ECGBatch
from ..errors import SynthECGError
from .delineation import check_fs, condition, detect_beats_batch

CHUNK = 32  # ECGs conditioned and searched for beats together

BEFORE_MS = 250.0  # covers the P wave at heart rates down to ~40 bpm
AFTER_MS = 450.0  # covers the T wave end at normal QT


def median_beats(batch: ECGBatch, before_ms: float = BEFORE_MS, after_ms: float = AFTER_MS,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median beat of every lead of every ECG, aligned on the detected QRS fiducial.

    Returns ``(beats, rr_ms, n_beats)``: ``beats`` float32 mV of shape
    (n_ecgs, n_leads, window) in ``batch.leads`` order with window = (before_ms + after_ms)
    at ``batch.fs`` and the fiducial at index ``round(before_ms * fs / 1000)``; ``rr_ms``
    (n_ecgs,) the median RR interval; ``n_beats`` (n_ecgs,) the number of whole beats used.
    Signals are high-passed at 0.5 Hz first (baseline wander removed). An ECG with no whole
    beat gets a NaN row, rr NaN and n_beats 0.
    """
    if not isinstance(batch, ECGBatch):
        raise SynthECGError(f"median_beats: expected an ECGBatch, got {type(batch).__name__}")
    fs = check_fs(batch.fs)
    before = int(round(before_ms * fs / 1000.0))
    after = int(round(after_ms * fs / 1000.0))
    scale = 1.0 if batch.units == "mV" else 1e-3
    out = np.full((len(batch), batch.n_leads, before + after), np.nan, dtype=np.float32)
    rr = np.full(len(batch), np.nan)
    counts = np.zeros(len(batch), dtype=np.int64)
    for lo in range(0, len(batch), CHUNK):
        y = condition(batch.signals[lo:lo + CHUNK].astype(np.float64) * scale, fs)
        for j, beats in enumerate(detect_beats_batch(y, fs)):
            i = lo + j
            if beats.size >= 2:
                rr[i] = float(np.median(np.diff(beats))) * 1000.0 / fs
            whole = beats[(beats >= before) & (beats + after <= y.shape[-1])]
            if whole.size == 0:
                continue
            windows = y[j][:, whole[:, None] + np.arange(-before, after)]  # (leads, beats, window)
            out[i] = np.median(windows, axis=1)
            counts[i] = whole.size
    return out, rr, counts
