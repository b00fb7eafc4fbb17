"""Measurement engine: beat detection, per-lead delineation and global 12-lead measurements.

numpy/scipy/pandas only (no torch, no matplotlib).
"""

from .delineation import KEYS, delineate, detect_beats
from .globals import measure
from .median_beat import median_beats

__all__ = ["KEYS", "delineate", "detect_beats", "measure", "median_beats"]
