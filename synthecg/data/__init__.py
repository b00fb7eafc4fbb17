"""Data preparation: resampling, fixed-length windows and filters (numpy or ECGBatch in and out),
and the training data (torch Datasets, holdout split, record lists).

``synthecg.data.preprocess`` needs only numpy/scipy (``synthecg.io`` uses it); the training-data
names (``DataConfig``, ``open_training_data``, ``TrainingData``, ``read_split``) import torch and
are resolved lazily, so importing this package stays light.
"""

from .preprocess import crop_or_pad, notch, remove_baseline, resample

_DATASET_NAMES = ("DataConfig", "TrainingData", "open_training_data", "read_split")

__all__ = ["resample", "crop_or_pad", "remove_baseline", "notch", *_DATASET_NAMES]


def __getattr__(name: str):
    if name in _DATASET_NAMES:
        from . import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'synthecg.data' has no attribute {name!r}")
