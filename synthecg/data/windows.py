"""Training windows: one fixed-size integer-µV window per record, made the same way for the
training Dataset, its validation pass and :func:`synthecg.data.read_split`.

Policy, in order (``prepare``):

1. **Leads**: the configured leads are selected by name (I, II, V1-V6 by default); nothing is
   derived. A record lacking any of them is skipped (``missing leads ...``).
2. **NaN / infinite samples**: the record is skipped (``NaN or infinite samples``).
3. **Rate**: resampled to ``fs`` with :func:`synthecg.data.resample` (polyphase, exact rational
   factors; CODE-15's 400 Hz -> 500 Hz is up 5 / down 4). With ``highpass_hz`` set, baseline
   wander is then removed from the whole record (:func:`synthecg.data.remove_baseline`,
   zero-phase Butterworth high-pass; before cropping, so the filter's edge effects fall on
   the ends a longer record loses). Rounded to whole µV.
4. **Length**: :func:`synthecg.data.crop_or_pad` -- a longer record keeps its centre ``length``
   samples; a shorter one is zero-padded (0 µV) at both ends. A record covering less than
   ``MIN_COVERAGE`` of the window (under 5 s of a 10-s window) is skipped (``too short``):
   a window that is mostly padding teaches a generator flat lines.
5. **Range**: samples beyond ±``scale_uv`` µV are clipped to it (the training scale maps
   ±scale_uv to ±1, the generator's tanh range); clipped samples are counted per record and
   reported, the record is kept.

The window is int16 µV (int32 when ``scale_uv`` exceeds int16); the Dataset item is that
window / ``scale_uv`` as float32, μ-law companded when ``mu_law`` is set
(:func:`synthecg.data.dataset.to_training_scale`), so every item lies in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..ecg import ECGBatch
from .preprocess import crop_or_pad, remove_baseline, resample

if TYPE_CHECKING:
    from .dataset import DataConfig

MIN_COVERAGE = 0.5


@dataclass
class Windows:
    """The usable records of one input batch as windows.

    ``signals``: (k, leads, length) integer µV, clipped to ±scale_uv; ``rows``: their positions
    in the input batch; ``skipped``: (position, reason) for the rest; ``clipped``: (k,) clipped
    samples per window; ``padded``/``resampled``: whether the input needed that.
    """

    signals: np.ndarray
    rows: list[int]
    skipped: list[tuple[int, str]] = field(default_factory=list)
    clipped: np.ndarray | None = None
    padded: bool = False
    resampled: bool = False


def prepare(batch: ECGBatch, config: DataConfig) -> Windows:
    """Windows of ``batch`` under the policy of the module docstring (``config``'s fs, length,
    leads, scale_uv and highpass_hz)."""
    missing = [lead for lead in config.leads if lead not in batch.leads]
    if missing:
        reason = f"missing leads {','.join(missing)} (has {','.join(batch.leads)})"
        return Windows(_empty(config.leads, config.length, config.scale_uv), [],
                       [(i, reason) for i in range(len(batch))], np.zeros(0, np.int64))
    lead_rows = [batch.leads.index(lead) for lead in config.leads]
    return cut(batch.signals[:, lead_rows], batch.fs, batch.units, config)


def _empty(leads, length: int, scale_uv: float) -> np.ndarray:
    return np.zeros((0, len(leads), length), dtype=window_dtype(scale_uv))


def window_dtype(scale_uv: float):
    return np.int16 if scale_uv <= np.iinfo(np.int16).max else np.int32


def cut(x: np.ndarray, source_fs: float, units: str, config: DataConfig) -> Windows:
    """Steps 2-5 of the policy on signals whose leads are already selected:
    ``x`` (n, leads, samples) in ``units`` ("uV" integers or "mV" floats) at ``source_fs`` Hz."""
    fs, length, scale_uv = config.fs, config.length, config.scale_uv
    skipped: list[tuple[int, str]] = []
    rows = list(range(x.shape[0]))
    if np.issubdtype(x.dtype, np.floating):
        finite = np.isfinite(x).all(axis=(1, 2))
        if not finite.all():
            skipped = [(int(i), "NaN or infinite samples") for i in np.flatnonzero(~finite)]
            rows = [int(i) for i in np.flatnonzero(finite)]
            x = x[finite]
    covered = x.shape[-1] * fs / source_fs  # samples at fs
    if covered < MIN_COVERAGE * length:
        reason = f"too short ({x.shape[-1] / source_fs:.1f} s < {MIN_COVERAGE * length / fs:.1f} s)"
        empty = np.zeros((0, x.shape[1], length), dtype=window_dtype(scale_uv))
        return Windows(empty, [], skipped + [(i, reason) for i in rows], np.zeros(0, np.int64))
    uv = x.astype(np.float64) * 1000.0 if units == "mV" else x
    resampled = source_fs != fs
    if resampled:
        uv = resample(uv, fs, fs=source_fs)
    if config.highpass_hz:
        uv = remove_baseline(np.asarray(uv, dtype=np.float64), fs=fs, cutoff_hz=config.highpass_hz)
    if not np.issubdtype(uv.dtype, np.integer):
        uv = np.rint(uv)
    padded = uv.shape[-1] < length
    uv = crop_or_pad(uv, length)
    limit = int(np.floor(scale_uv))
    # Most windows are within range: find the others from per-row extremes (cheap on int16),
    # count and clip only those. Integer limits keep int16 data int16 (no float copy).
    clipped = np.zeros(uv.shape[0], dtype=np.int64)
    if uv.size:
        outside = np.flatnonzero((uv.max(axis=(1, 2)) > limit) | (uv.min(axis=(1, 2)) < -limit))
        if outside.size:
            uv = np.array(uv)
            part = uv[outside]
            clipped[outside] = np.count_nonzero((part > limit) | (part < -limit), axis=(1, 2))
            uv[outside] = np.clip(part, -limit, limit)
    return Windows(np.ascontiguousarray(uv, dtype=window_dtype(scale_uv)), rows, skipped, clipped,
                   padded, resampled)
