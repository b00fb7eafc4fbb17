"""Per-lead power spectral density (Welch) of two sets and the distance between them.

Each ECG's lead gets a Welch PSD (2-s Hann segments, half overlap, mean removed per segment:
0.5 Hz resolution) in mV²/Hz; a set's spectrum is the mean over its ECGs of log10 PSD (a
geometric mean: a few noisy records cannot dominate). The distance of a lead is the mean
absolute difference of the two log spectra over 0.5-100 Hz (capped below fs/2), in decades:
0.1 means the spectra differ by a factor of about 1.26 on average.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ecg import ECGBatch

BAND_HZ = (0.5, 100.0)
SEGMENT_S = 2.0
FLOOR = 1e-12  # mV²/Hz; a flat lead's zero power would otherwise give log10(0)


def mean_log_psd(batch: ECGBatch, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """``(freqs (f,) Hz, log10 PSD (leads, f))``: the mean over ECGs of each lead's log PSD."""
    from scipy.signal import welch

    nperseg = int(min(batch.n_samples, round(SEGMENT_S * batch.fs)))
    scale = np.float32(1.0 if batch.units == "mV" else 1e-3)
    total = None
    for start in range(0, len(batch), chunk):
        x = batch.signals[start:start + chunk].astype(np.float32) * scale
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        freqs, psd = welch(x, fs=batch.fs, nperseg=nperseg, axis=-1)
        part = np.log10(np.maximum(psd, FLOOR)).sum(axis=0)
        total = part if total is None else total + part
    return freqs, total / max(len(batch), 1)


def psd_distance(real: ECGBatch, synthetic: ECGBatch) -> dict:
    """Per-lead log-PSD distance (decades) of two comparable batches.

    Returns ``{"table": DataFrame(lead, log_psd_distance), "mean": float, "band_hz": [lo, hi],
    "freqs": (f,) array, "real_log_psd": (leads, f), "synthetic_log_psd": (leads, f)}``;
    the spectra are kept, restricted to the band, for the report to draw.
    """
    freqs, real_psd = mean_log_psd(real)
    _, synthetic_psd = mean_log_psd(synthetic)
    high = min(BAND_HZ[1], real.fs / 2.0 - 1e-9)
    band = (freqs >= BAND_HZ[0]) & (freqs <= high)
    distance = np.abs(real_psd[:, band] - synthetic_psd[:, band]).mean(axis=1)
    table = pd.DataFrame({"lead": list(real.leads), "log_psd_distance": distance})
    return {"table": table, "mean": float(distance.mean()), "band_hz": [BAND_HZ[0], float(high)],
            "freqs": freqs[band], "real_log_psd": real_psd[:, band],
            "synthetic_log_psd": synthetic_psd[:, band]}
