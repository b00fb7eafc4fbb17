"""Data preparation: resampling, fixed-length windows and filters (numpy or ECGBatch in and out)."""

from .preprocess import crop_or_pad, notch, remove_baseline, resample

__all__ = ["resample", "crop_or_pad", "remove_baseline", "notch"]
