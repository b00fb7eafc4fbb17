"""Median beats per lead, real vs synthetic.

The beat alignment here is the plot's own, deliberately minimal (measurement proper belongs to
``synthecg.measure``): for each ECG, every lead is band-passed 5-15 Hz (2nd-order Butterworth,
zero phase), the absolute values are summed over leads, and R peaks are the maxima of that
combined signal found by ``scipy.signal.find_peaks`` at least 0.25 s apart (refractory period)
and above 40 % of its 99th percentile. Each beat is cut from the unfiltered signal, 0.25 s
before to 0.45 s after its R peak (beats that do not fit are skipped), shifted so the median of
its first 0.05 s (-250..-200 ms: the TP segment before the P wave at
ordinary rates) is 0, and the ECG's median beat is the sample-wise median.
The figure draws every ECG's median beat thinly and the median of those thickly, per lead.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8, STANDARD_12, expand_to_12
from ._output import check_target, save_figures

BEFORE_S, AFTER_S = 0.25, 0.45
REFRACTORY_S = 0.25
REAL_COLOR, SYNTHETIC_COLOR = "#1f4e9c", "#c00000"


def overlay_figure(real: ECGBatch, synthetic: ECGBatch, leads=None):
    """A Figure of median beats per lead (3 x 4 panels, mV against ms from the R peak)."""
    from matplotlib.figure import Figure

    real, synthetic = _twelve(real, "real"), _twelve(synthetic, "synthetic")
    if leads is None:
        leads = [lead for lead in STANDARD_12 if lead in real.leads and lead in synthetic.leads]
        leads += [lead for lead in real.leads if lead in synthetic.leads and lead not in leads]
    if not leads:
        raise SynthECGError("overlay: the real and synthetic ECGs share no lead")
    groups = [("real", real, REAL_COLOR), ("synthetic", synthetic, SYNTHETIC_COLOR)]
    beats = {name: _median_beats(batch, leads, name) for name, batch, _ in groups}

    ncols = 4 if len(leads) > 3 else len(leads)
    nrows = -(-len(leads) // ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.4 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
    for k, lead in enumerate(leads):
        ax = axes[k // ncols][k % ncols]
        for name, batch, color in groups:
            per_ecg, t_ms = beats[name]
            curves = per_ecg[:, k]
            for curve in curves:
                ax.plot(t_ms, curve, color=color, alpha=min(0.5, 3.0 / len(curves)), linewidth=0.6)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                median = np.nanmedian(curves, axis=0)
            ax.plot(t_ms, median, color=color, linewidth=2.0,
                    label=f"{name} (median of {len(curves)} ECGs)", gid=f"median-{name}-{lead}")
        ax.set_title(lead, fontsize=10, loc="left", fontweight="bold")
        ax.axhline(0.0, color="0.7", linewidth=0.5)
        ax.axvline(0.0, color="0.7", linewidth=0.5)
        ax.grid(True, color="0.92")
    for k in range(len(leads), nrows * ncols):
        axes[k // ncols][k % ncols].set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel("ms from R peak")
    for row in axes:
        row[0].set_ylabel("mV")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=2, frameon=False)
    return fig


def overlay(real: ECGBatch, synthetic: ECGBatch, path: str | os.PathLike, leads=None,
            dpi: float = 150, overwrite: bool = False) -> Path:
    """Save :func:`overlay_figure` to ``path`` (.png or .pdf), atomically; returns ``path``."""
    path, kind = check_target(path, overwrite)
    save_figures([overlay_figure(real, synthetic, leads=leads)], path, kind, dpi=dpi,
                 overwrite=overwrite)
    return path


# --- the plot's own beat alignment (see the module docstring) ---------------------------------
def _twelve(batch: ECGBatch, what: str) -> ECGBatch:
    if not isinstance(batch, ECGBatch):
        raise SynthECGError(f"overlay: {what} must be an ECGBatch, got {type(batch).__name__}")
    if len(batch) == 0:
        raise SynthECGError(f"overlay: no {what} ECGs given")
    if not all(lead in batch.leads for lead in STANDARD_12) and all(
            lead in batch.leads for lead in INDEPENDENT_8):
        batch = expand_to_12(batch)
    return batch.to_units("mV")


def _r_peaks(signals: np.ndarray, fs: float) -> np.ndarray:
    """R-peak sample positions of one ECG ``signals`` (leads, samples) in mV."""
    from scipy.signal import butter, find_peaks, sosfiltfilt

    x = np.nan_to_num(signals.astype(np.float64))
    high = min(15.0, 0.45 * fs)
    if x.shape[-1] < 3 * int(fs * 0.1) or high <= 5.0:
        return np.empty(0, dtype=int)
    sos = butter(2, [5.0, high], btype="bandpass", fs=fs, output="sos")
    combined = np.abs(sosfiltfilt(sos, x, axis=-1)).sum(axis=0)
    level = np.percentile(combined, 99)
    if level <= 0:
        return np.empty(0, dtype=int)
    peaks, _ = find_peaks(combined, height=0.4 * level, distance=max(1, int(REFRACTORY_S * fs)))
    return peaks


def _median_beats(batch: ECGBatch, leads, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(ECGs with beats, leads, window) median beats in mV and the window's times in ms."""
    before, after = int(round(BEFORE_S * batch.fs)), int(round(AFTER_S * batch.fs))
    rows = [batch.leads.index(lead) for lead in leads]
    onset = max(1, int(round(0.05 * batch.fs)))
    medians = []
    for signals in batch.signals:
        peaks = [p for p in _r_peaks(signals, batch.fs) if p >= before and p + after <= signals.shape[-1]]
        if not peaks:
            continue
        cut = np.stack([signals[rows, p - before:p + after] for p in peaks]).astype(np.float64)
        with warnings.catch_warnings():  # all-NaN stretches (gaps) stay NaN, quietly
            warnings.simplefilter("ignore", RuntimeWarning)
            cut -= np.nanmedian(cut[:, :, :onset], axis=2, keepdims=True)
            medians.append(np.nanmedian(cut, axis=0))
    if not medians:
        raise SynthECGError(f"overlay: no beats found in the {what} ECGs "
                            f"(need at least {BEFORE_S + AFTER_S:g} s around an R peak)")
    t_ms = (np.arange(-before, after) / batch.fs) * 1000.0
    return np.stack(medians), t_ms
