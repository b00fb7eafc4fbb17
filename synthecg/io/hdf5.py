"""HDF5 files (h5py): a chunked, compressed ``signals`` dataset (n, leads, samples) with
attributes ``fs``, ``leads`` and ``units``, and a ``meta`` dataset of one JSON string per ECG.

Chunks hold whole ECGs (16 per chunk), so :func:`iter_hdf5` reads files larger than memory batch by batch.
Files are written without timestamps, so the same batch gives the same bytes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterator

import numpy as np

from .._files import write_bytes
from ..ecg import ECGBatch
from ..errors import SynthECGError

FORMAT_TAG = "synthecg.ecg"
# ECGs per chunk: one ECG per chunk read about 1.4x slower (per-chunk overhead in HDF5);
# 16 (~1 MB raw) still lets iter_hdf5 read small batches cheaply.
CHUNK_ECGS = 16


def write_hdf5(batch: ECGBatch, path: Path, overwrite: bool = False) -> None:
    import h5py

    n = len(batch)
    # Built in memory, then written by Python: the HDF5 library crashed the process (SIGSEGV)
    # when the disk filled up under it, instead of raising.
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", track_order=False) as f:
        f.attrs["format"] = FORMAT_TAG
        f.attrs["fs"] = float(batch.fs)
        f.attrs["leads"] = json.dumps(list(batch.leads))
        f.attrs["units"] = batch.units
        f.create_dataset("signals", data=batch.signals,
                         chunks=(min(n, CHUNK_ECGS), batch.n_leads, batch.n_samples) if n else None,
                         compression="gzip", compression_opts=4, shuffle=True, track_times=False)
        meta = [json.dumps(m, sort_keys=True, separators=(",", ":")) for m in batch.meta]
        f.create_dataset("meta", data=np.array(meta, dtype=object),
                         dtype=h5py.string_dtype("utf-8"), track_times=False)
    write_bytes(path, buffer.getbuffer(), overwrite=overwrite)


def _open(path: Path):
    import h5py

    if not path.is_file():
        raise SynthECGError(f"{path}: file not found")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise SynthECGError(f"{path}: not a readable HDF5 file ({exc})") from exc
    if "signals" not in f or f["signals"].ndim != 3:
        f.close()
        raise SynthECGError(f"{path}: no 'signals' dataset of shape (n, leads, samples)")
    return f


def _batch(f, path: Path, start: int, stop: int) -> ECGBatch:
    try:
        signals = f["signals"][start:stop]
        meta = [json.loads(s) for s in f["meta"].asstr()[start:stop]] if "meta" in f else []
        leads = tuple(json.loads(f.attrs["leads"]))
        return ECGBatch(signals=signals, fs=float(f.attrs["fs"]), leads=leads,
                        units=str(f.attrs["units"]), meta=meta)
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, SynthECGError):
            raise
        raise SynthECGError(f"{path}: damaged or incomplete SynthECG HDF5 file ({exc})") from exc


def read_hdf5(path: Path) -> ECGBatch:
    with _open(path) as f:
        return _batch(f, path, 0, f["signals"].shape[0])


class HDF5Reader:
    """An open SynthECG HDF5 file whose rows are read on demand (training data streams from it).

    One reader per process: h5py handles must not cross a fork, so callers open readers
    lazily inside each DataLoader worker. ``n``, ``fs``, ``leads`` and ``units`` are read once.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._file = _open(self.path)
        try:
            self._signals = self._file["signals"]
            self.n = int(self._signals.shape[0])
            self.fs = float(self._file.attrs["fs"])
            self.leads = tuple(json.loads(self._file.attrs["leads"]))
            self.units = str(self._file.attrs["units"])
        except (OSError, KeyError, ValueError) as exc:
            self._file.close()
            raise SynthECGError(f"{path}: damaged or incomplete SynthECG HDF5 file ({exc})") from exc

    def signals(self, start: int, stop: int) -> np.ndarray:
        """Rows start..stop-1: array (stop - start, leads, samples) as stored."""
        try:
            return self._signals[start:stop]
        except (OSError, ValueError) as exc:
            raise SynthECGError(f"{self.path}: damaged SynthECG HDF5 file ({exc})") from exc

    def meta(self, start: int, stop: int) -> list[dict]:
        """The meta dicts of rows start..stop-1 (empty dicts when the file has none)."""
        if "meta" not in self._file:
            return [{} for _ in range(start, stop)]
        try:
            return [json.loads(s) for s in self._file["meta"].asstr()[start:stop]]
        except (OSError, ValueError) as exc:
            raise SynthECGError(f"{self.path}: damaged meta table ({exc})") from exc

    def close(self) -> None:
        self._file.close()


def iter_hdf5(path: Path, batch_size: int) -> Iterator[ECGBatch]:
    """ECGBatches of at most ``batch_size`` ECGs, read lazily from the file."""
    with _open(path) as f:
        n = f["signals"].shape[0]
        for start in range(0, n, batch_size):
            yield _batch(f, path, start, min(start + batch_size, n))
