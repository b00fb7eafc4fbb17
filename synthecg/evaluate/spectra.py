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
MAX_ECGS = 2000  # per set; larger sets are represented by a seeded subsample


def mean_log_psd(batch: ECGBatch, chunk: int = 128, rows: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(freqs (f,) Hz, log10 PSD (leads, f))``: the mean over ECGs of each lead's log PSD.

    ``rows``: indices of the ECGs to use (default all), read chunk by chunk so a subsample of a
    large set is never copied as a whole.

    The Welch estimate is scipy.signal.welch's defaults (Hann window, half overlap, constant
    detrend per segment, density scaling, one-sided) written out with float32 FFTs over all
    segments of a chunk at once: 10x faster than ``welch`` on 2,000 ECGs, same values.
    """
    from numpy.lib.stride_tricks import sliding_window_view
    from scipy.fft import rfft, rfftfreq
    from scipy.signal.windows import hann

    nperseg = int(min(batch.n_samples, round(SEGMENT_S * batch.fs)))
    step = max(nperseg // 2, 1)
    window = hann(nperseg, sym=False).astype(np.float32)
    scale = np.full(nperseg // 2 + 1, 2.0 / (batch.fs * float(np.sum(window.astype(np.float64) ** 2))))
    scale[0] /= 2.0
    if nperseg % 2 == 0:
        scale[-1] /= 2.0  # DC and Nyquist are not doubled in a one-sided spectrum
    to_mv = np.float32(1.0 if batch.units == "mV" else 1e-3)
    total = np.zeros((batch.n_leads, scale.size))
    n = len(batch) if rows is None else len(rows)
    for start in range(0, n, chunk):
        part = (batch.signals[start:start + chunk] if rows is None
                else batch.signals[rows[start:start + chunk]])
        x = part.astype(np.float32) * to_mv
        x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        segments = sliding_window_view(x, nperseg, axis=-1)[..., ::step, :]
        segments = (segments - segments.mean(axis=-1, keepdims=True)) * window
        spectra = rfft(segments, axis=-1)
        power = (spectra.real ** 2 + spectra.imag ** 2).mean(axis=-2) * scale
        total += np.log10(np.maximum(power, FLOOR)).sum(axis=0)
    return rfftfreq(nperseg, 1.0 / batch.fs), total / max(n, 1)


def psd_distance(real: ECGBatch, synthetic: ECGBatch, *, max_ecgs: int = MAX_ECGS,
                 seed: int = 0) -> dict:
    """Per-lead log-PSD distance (decades) of two comparable batches.

    Sets larger than ``max_ecgs`` are represented by a seeded subsample of that size (the
    mean log spectrum of 2,000 ECGs is steady to about 0.01 decades). Returns
    ``{"table": DataFrame(lead, log_psd_distance), "mean": float, "band_hz": [lo, hi],
    "freqs": (f,) array, "real_log_psd": (leads, f), "synthetic_log_psd": (leads, f),
    "n_real", "n_synthetic"}``; the spectra are kept, restricted to the band, for the report.
    """
    from .._seeding import rng_for

    def sample(batch, stream):
        if len(batch) <= max_ecgs:
            return None
        return np.sort(rng_for(seed, stream).choice(len(batch), max_ecgs, replace=False))

    real_rows, synthetic_rows = sample(real, 12), sample(synthetic, 13)
    freqs, real_psd = mean_log_psd(real, rows=real_rows)
    _, synthetic_psd = mean_log_psd(synthetic, rows=synthetic_rows)
    high = min(BAND_HZ[1], real.fs / 2.0 - 1e-9)
    band = (freqs >= BAND_HZ[0]) & (freqs <= high)
    distance = np.abs(real_psd[:, band] - synthetic_psd[:, band]).mean(axis=1)
    table = pd.DataFrame({"lead": list(real.leads), "log_psd_distance": distance})
    return {"table": table, "mean": float(distance.mean()), "band_hz": [BAND_HZ[0], float(high)],
            "freqs": freqs[band], "real_log_psd": real_psd[:, band],
            "synthetic_log_psd": synthetic_psd[:, band],
            "n_real": int(len(real) if real_rows is None else len(real_rows)),
            "n_synthetic": int(len(synthetic) if synthetic_rows is None else len(synthetic_rows))}
