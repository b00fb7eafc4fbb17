"""Preprocessing for ECGs: polyphase resampling, crop/pad to a fixed length, baseline-wander
removal and a powerline notch.

Every function takes either a numpy array ``(..., n_samples)`` (time on the last axis) with an
explicit ``fs`` in Hz, or an :class:`~synthecg.ECGBatch` (its own ``fs``), and returns the same
kind. Integer µV batches stay integer µV (rounded to the nearest µV); arrays come back as float64
(resample, filters) or in their own dtype (crop_or_pad).

Crop/pad policy (``crop_or_pad``): a longer ECG keeps its **centre** ``length`` samples (the start
and end of a recording are where electrodes settle and carts add artefacts; an odd surplus
drops the extra sample at the end); a shorter one is padded **at both ends** (half before, the
rest after) with zeros (``pad="zeros"``, flat 0 µV) or the first/last sample (``pad="edge"``).
``crop="start"`` keeps the first ``length`` samples instead.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..ecg import ECGBatch, to_integer_uv
from ..errors import SynthECGError

MAX_FACTOR = 1000


def _rational(fs: float, target_fs: float) -> tuple[int, int]:
    """Exact (up, down) with target_fs / fs = up / down, from the decimal values given."""
    for name, value in (("fs", fs), ("target_fs", target_fs)):
        if not (np.isfinite(value) and value > 0):
            raise SynthECGError(f"{name}: must be a positive rate in Hz, got {value}")
    ratio = Fraction(str(float(target_fs))) / Fraction(str(float(fs)))
    if ratio.numerator > MAX_FACTOR or ratio.denominator > MAX_FACTOR:
        raise SynthECGError(f"fs: resampling {fs:g} -> {target_fs:g} Hz needs factors "
                            f"{ratio.numerator}/{ratio.denominator}; above {MAX_FACTOR} is refused")
    return ratio.numerator, ratio.denominator


def _apply(data, fs, fn, keep_dtype: bool = False):
    """Run ``fn(array, fs)`` on an array or on a batch's signals (rebuilding the batch)."""
    if isinstance(data, ECGBatch):
        out, new_fs = fn(data.signals, data.fs)
        if data.units == "uV" and not keep_dtype:
            out = to_integer_uv(out)
        return ECGBatch(signals=out, fs=new_fs, leads=data.leads, units=data.units, meta=data.meta)
    if fs is None:
        raise SynthECGError("fs: pass the sampling rate in Hz with a numpy array")
    return fn(np.asarray(data), float(fs))[0]


def resample(data, target_fs: float, fs: float | None = None):
    """Resample to ``target_fs`` Hz with ``scipy.signal.resample_poly`` (exact rational factors,
    e.g. 400 -> 500 Hz is up 5, down 4; Kaiser-windowed anti-aliasing FIR).

    n_samples becomes ceil(n_samples * up / down).
    """
    from scipy.signal import resample_poly

    if isinstance(data, ECGBatch) and _rational(data.fs, target_fs) == (1, 1):
        return data  # already at target_fs: no copy, no rounding

    def run(x, rate):
        up, down = _rational(rate, target_fs)
        if up == down:
            return x, rate
        return resample_poly(x.astype(np.float64), up, down, axis=-1), float(target_fs)

    return _apply(data, fs, run)


def crop_or_pad(data, length: int, crop: str = "center", pad: str = "zeros"):
    """Exactly ``length`` samples (see the module docstring for the policy)."""
    if int(length) != length or length <= 0:
        raise SynthECGError(f"length: must be a positive number of samples, got {length}")
    if crop not in ("center", "start") or pad not in ("zeros", "edge"):
        raise SynthECGError(f"crop/pad: expected crop 'center'|'start', pad 'zeros'|'edge', "
                            f"got {crop!r}, {pad!r}")
    length = int(length)

    def run(x, rate):
        n = x.shape[-1]
        if n >= length:
            start = (n - length) // 2 if crop == "center" else 0
            return x[..., start:start + length], rate
        before = (length - n) // 2
        widths = [(0, 0)] * (x.ndim - 1) + [(before, length - n - before)]
        if pad == "edge" and n > 0:
            return np.pad(x, widths, mode="edge"), rate
        return np.pad(x, widths, mode="constant"), rate

    return _apply(data, 1.0, run, keep_dtype=True)


def remove_baseline(data, fs: float | None = None, cutoff_hz: float = 0.5, order: int = 2):
    """Remove baseline wander: zero-phase Butterworth high-pass at ``cutoff_hz`` (sosfiltfilt,
    so no delay; order 2 applied twice)."""
    from scipy.signal import butter, sosfiltfilt

    def run(x, rate):
        if not 0 < cutoff_hz < rate / 2:
            raise SynthECGError(f"cutoff_hz: {cutoff_hz} is not between 0 and fs/2 = {rate / 2:g}")
        sos = butter(order, cutoff_hz, btype="highpass", fs=rate, output="sos")
        return _filtfilt(sosfiltfilt, sos, x), rate

    return _apply(data, fs, run)


def notch(data, fs: float | None = None, freq_hz: float = 50.0, quality: float = 30.0):
    """Remove powerline interference at ``freq_hz`` (50 Hz Europe/Asia, 60 Hz Americas) with a
    zero-phase IIR notch of quality ``quality`` (bandwidth freq/quality)."""
    from scipy.signal import iirnotch, sosfiltfilt, tf2sos

    def run(x, rate):
        if not 0 < freq_hz < rate / 2:
            raise SynthECGError(f"freq_hz: {freq_hz} is not between 0 and fs/2 = {rate / 2:g}")
        sos = tf2sos(*iirnotch(freq_hz, quality, fs=rate))
        return _filtfilt(sosfiltfilt, sos, x), rate

    return _apply(data, fs, run)


def _filtfilt(sosfiltfilt, sos, x):
    if x.shape[-1] < 30:
        raise SynthECGError(f"signals: {x.shape[-1]} samples are too short to filter")
    return sosfiltfilt(sos, x.astype(np.float64), axis=-1)
