"""HDF5 files (h5py): a ``signals`` dataset (n, leads, samples) with attributes ``fs``, ``leads``
and ``units``, and a ``meta`` dataset of one JSON string per ECG.

Layouts (``compression=``), all readable by plain h5py without plugins:

- ``"gzip"`` (the default of :func:`synthecg.io.write`): byte-shuffle + deflate level 4 in
  chunks of 16 whole ECGs: half the size of raw int16 and readable by every HDF5 tool, but
  decompression limits reading to about 1,500 ECG/s on one core.
- ``"none"`` (generation shards, data meant for training): uncompressed and
  contiguous: about 15x faster sequential reads (>= 20,000 ECG/s) and single-ECG random reads
  (what a shuffling DataLoader does) at about 10,000 ECG/s, against under 100/s from
  compressed chunks, which must be inflated whole for every ECG.
- ``"lzf"``: byte-shuffle + LZF (h5py's own filter; other HDF5 tools need its plugin) in chunks
  of 16: 57 % of raw size, but measured no faster to read than gzip here, so rarely the best.

``benchmarks/io.py`` prints each layout's read rate. :func:`iter_hdf5` reads whole chunks with
one call each (no chunk inflated twice), so files larger than memory stream batch by batch.
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
# ECGs per chunk of a compressed file: one ECG per chunk read about 1.4x slower (per-chunk
# overhead in HDF5); 16 (~1 MB raw) still lets iter_hdf5 read small batches cheaply.
CHUNK_ECGS = 16
COMPRESSIONS = ("none", "lzf", "gzip")
_FILTERS = {"lzf": {"compression": "lzf", "shuffle": True},
            "gzip": {"compression": "gzip", "compression_opts": 4, "shuffle": True}}


def check_compression(compression: str) -> str:
    """``"none"`` | ``"lzf"`` | ``"gzip"``; SynthECGError otherwise."""
    value = str(compression).lower()
    if value not in COMPRESSIONS:
        raise SynthECGError(f"compression: expected one of {', '.join(COMPRESSIONS)}, "
                            f"got {compression!r}")
    return value


def write_hdf5(batch: ECGBatch, path: Path, overwrite: bool = False,
               compression: str = "gzip") -> None:
    """Write ``batch`` to ``path`` (atomically) in the layout ``compression`` names (above)."""
    import h5py

    compression = check_compression(compression)
    n = len(batch)
    # Built in memory, then written by Python: the HDF5 library crashed the process (SIGSEGV)
    # when the disk filled up under it, instead of raising.
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", track_order=False) as f:
        f.attrs["format"] = FORMAT_TAG
        f.attrs["fs"] = float(batch.fs)
        f.attrs["leads"] = json.dumps(list(batch.leads))
        f.attrs["units"] = batch.units
        if compression == "none" or n == 0:
            f.create_dataset("signals", data=batch.signals, track_times=False)
        else:
            f.create_dataset("signals", data=batch.signals,
                             chunks=(min(n, CHUNK_ECGS), batch.n_leads, batch.n_samples),
                             track_times=False, **_FILTERS[compression])
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
        signals = _read_rows(f["signals"], start, stop)
        meta = [json.loads(s) for s in f["meta"].asstr()[start:stop]] if "meta" in f else []
        leads = tuple(json.loads(f.attrs["leads"]))
        return ECGBatch(signals=signals, fs=float(f.attrs["fs"]), leads=leads,
                        units=str(f.attrs["units"]), meta=meta)
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, SynthECGError):
            raise
        raise SynthECGError(f"{path}: damaged or incomplete SynthECG HDF5 file ({exc})") from exc


def _read_rows(dataset, start: int, stop: int) -> np.ndarray:
    """Rows start..stop-1 as a fresh array. Blocks go through one read_direct call (about
    1.3x faster than slicing for 256 ECGs); a few rows are sliced, which measured 3x faster
    than read_direct for one ECG (its selection set-up dominates there)."""
    stop = min(stop, dataset.shape[0])
    start = min(start, stop)
    if stop - start < 16:
        return dataset[start:stop]
    out = np.empty((stop - start, *dataset.shape[1:]), dtype=dataset.dtype)
    if out.size:
        dataset.read_direct(out, np.s_[start:stop])
    return out


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
            return _read_rows(self._signals, start, stop)
        except (OSError, ValueError) as exc:
            raise SynthECGError(f"{self.path}: damaged SynthECG HDF5 file ({exc})") from exc

    @property
    def compressed(self) -> bool:
        return self._signals.compression is not None

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
    """ECGBatches of exactly ``batch_size`` ECGs (the last may be smaller), read lazily.

    Reads go in blocks of whole chunks (compressed files), each chunk inflated once even when
    ``batch_size`` is not a multiple of the chunk; contiguous files are read ``batch_size``
    rows at a time.
    """
    with _open(path) as f:
        n = f["signals"].shape[0]
        chunks = f["signals"].chunks
        step = batch_size if chunks is None else -(-batch_size // chunks[0]) * chunks[0]
        pending: ECGBatch | None = None
        for start in range(0, n, step):
            block = _batch(f, path, start, min(start + step, n))
            pending = block if pending is None else ECGBatch.concat([pending, block])
            while len(pending) >= batch_size:
                yield pending[:batch_size]
                pending = pending[batch_size:]
        if pending is not None and len(pending):
            yield pending
