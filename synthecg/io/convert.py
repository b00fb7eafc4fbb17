"""Whole-file operations built only on :func:`synthecg.io.read`, ``write`` and ``iter_batches``,
so they work for every format those accept: ``convert`` and ``read_one``."""

from __future__ import annotations

import os
from pathlib import Path

from ..ecg import ECGBatch
from ..errors import SynthECGError


def convert(source: str | os.PathLike, target: str | os.PathLike, format: str | None = None,
            units: str | None = None, overwrite: bool = False, fs: float | None = None,
            length: int | None = None) -> ECGBatch:
    """Read ``source`` (any readable file or folder; ``fs``/``length`` resample and crop/pad
    records that differ), optionally change ``units`` ("uV"/"mV"), and write ``target`` (format
    from its suffix unless ``format`` names one). Returns the batch written.

    Every writer today writes one whole batch atomically (none appends), so the input is read
    whole; ``iter_batches`` streams only where a writer can take part of a batch.
    """
    from . import read, write

    batch = read(source, fs=fs, length=length)
    if units is not None:
        batch = batch.to_units(units)
    write(batch, target, format=format, overwrite=overwrite)
    return batch


def read_one(path: str | os.PathLike, index: int, batch_size: int = 256) -> ECGBatch:
    """ECG ``index`` (0-based) of ``path`` as a batch of one, reading batch by batch so large
    HDF5 files and generation folders are not loaded whole."""
    from . import iter_records

    if index < 0:
        raise SynthECGError(f"index {index}: must be 0 or more")
    seen = 0
    for batch in iter_records(path, batch_size=batch_size):
        if index < seen + len(batch):
            return batch[index - seen]
        seen += len(batch)
    raise SynthECGError(f"index {index}: out of range, {Path(path)} holds {seen} ECG{'s' * (seen != 1)} "
                        f"(0..{seen - 1})" if seen else f"{Path(path)}: holds no ECGs")
