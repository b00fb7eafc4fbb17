"""Reading and writing ECGs: ``read(path)`` and ``write(batch, path)`` pick the format.

Formats (by suffix): ``.npy`` (signals only), ``.npz`` (signals, fs, leads, units, meta),
``.h5``/``.hdf5`` (chunked, compressed, lazily readable), and generation folders holding a
``manifest.json``. This package imports neither torch nor matplotlib.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Sequence

from ..ecg import ECGBatch
from ..errors import SynthECGError
from . import hdf5, manifest, numpy_files

FORMATS = ("npy", "npz", "hdf5")
_SUFFIX_FORMAT = {".npy": "npy", ".npz": "npz", ".h5": "hdf5", ".hdf5": "hdf5"}
_WRITERS = {"npy": numpy_files.write_npy, "npz": numpy_files.write_npz, "hdf5": hdf5.write_hdf5}


def format_for(path: Path, file_format: str | None = None) -> str:
    """The format named, or the one the file suffix implies."""
    if file_format is not None:
        if file_format not in FORMATS:
            raise SynthECGError(f"format: {file_format!r} is not one of {', '.join(FORMATS)}")
        return file_format
    try:
        return _SUFFIX_FORMAT[path.suffix.lower()]
    except KeyError:
        raise SynthECGError(f"{path}: unknown file type {path.suffix or '(no suffix)'!r}; "
                            f"expected one of {', '.join(sorted(_SUFFIX_FORMAT))}") from None


def read_file(path: Path, fs: float | None = None, leads: Sequence[str] | None = None) -> ECGBatch:
    """One file; ``fs`` and ``leads`` describe bare ``.npy`` arrays, which store neither."""
    kind = format_for(path)
    if kind == "npy":
        return numpy_files.read_npy(path, fs=fs, leads=leads)
    if kind == "npz":
        return numpy_files.read_npz(path)
    return hdf5.read_hdf5(path)


def read(path: str | os.PathLike, leads: Sequence[str] | None = None,
         fs: float | None = None) -> ECGBatch:
    """Read a file or a generation folder (with ``manifest.json``) into one ECGBatch.

    ``leads`` selects (and orders) leads; ``fs`` gives the sampling rate of a bare ``.npy``.
    """
    path = Path(path)
    if path.is_dir():
        batch = manifest.read_manifest_folder(path)
    elif not path.exists():
        raise SynthECGError(f"{path}: no such file or folder")
    else:
        batch = read_file(path, fs=fs)
    return batch.select(leads) if leads is not None else batch


def iter_batches(path: str | os.PathLike, batch_size: int = 256) -> Iterator[ECGBatch]:
    """ECGBatches of at most ``batch_size`` ECGs without loading everything at once
    (generation folders shard by shard, HDF5 files chunk by chunk)."""
    path = Path(path)
    if batch_size <= 0:
        raise SynthECGError(f"batch_size: must be positive, got {batch_size}")
    if path.is_dir():
        sources = manifest.iter_manifest(path)
    elif format_for(path) == "hdf5":
        sources = hdf5.iter_hdf5(path, batch_size)
    else:
        sources = iter([read(path)])
    for batch in sources:
        for start in range(0, len(batch), batch_size):
            yield batch[start:start + batch_size]


def write(batch: ECGBatch, path: str | os.PathLike, format: str | None = None,
          overwrite: bool = False) -> Path:
    """Write ``batch`` to ``path`` atomically; the format comes from the suffix unless named."""
    path = Path(path)
    if not isinstance(batch, ECGBatch):
        raise SynthECGError(f"write: expected an ECGBatch, got {type(batch).__name__}")
    if path.parent and not path.parent.exists():
        raise SynthECGError(f"{path}: folder {path.parent} does not exist")
    _WRITERS[format_for(path, format)](batch, path, overwrite=overwrite)
    return path


__all__ = ["FORMATS", "read", "write", "iter_batches", "read_file", "format_for"]
