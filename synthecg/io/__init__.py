"""Reading and writing ECGs: ``read(path)`` and ``write(batch, path)`` pick the format.

Files (by suffix): ``.npy`` (signals only), ``.npz`` (signals, fs, leads, units, meta),
``.h5``/``.hdf5`` (chunked, compressed, lazily readable), WFDB ``.hea``/``.dat``, CinC
``.hea``/``.mat``, DeepFake-ECG ``.asc``, ``.csv`` and ``.edf``. Folders: generation folders
(``manifest.json``) and folders of records (one ECG per record; see ``folders.py``).
Folder formats for writing: ``wfdb``, ``csv``, ``asc``, ``edf`` (one record or file per ECG)
plus ``npy``/``npz``/``hdf5`` (one file). This package imports neither torch nor matplotlib.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterator, Sequence

from .._files import write_bytes
from ..ecg import ECGBatch
from ..errors import SynthECGError
from . import asc, cinc, csv_files, edf, folders, hdf5, manifest, numpy_files, wfdb

FORMATS = ("npy", "npz", "hdf5", "wfdb", "csv", "asc", "edf")
PER_ECG_FORMATS = ("wfdb", "csv", "asc", "edf")
_SUFFIX_FORMAT = {".npy": "npy", ".npz": "npz", ".h5": "hdf5", ".hdf5": "hdf5", ".hea": "wfdb",
                  ".dat": "wfdb", ".mat": "wfdb", ".asc": "asc", ".csv": "csv", ".edf": "edf"}
_FOLDER_SUFFIX = {"csv": ".csv", "asc": ".asc", "edf": ".edf"}
_WRITERS: dict[str, Callable] = {
    "npy": numpy_files.write_npy, "npz": numpy_files.write_npz, "hdf5": hdf5.write_hdf5,
    "csv": csv_files.write_csv, "asc": asc.write_asc, "edf": edf.write_edf,
    "wfdb": lambda b, p, overwrite=False: wfdb.write_wfdb_record(b, p.parent, p.stem, overwrite),
}


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
    """One file as stored; ``fs`` and ``leads`` describe formats that store no rate or names
    (``.npy``, ``.csv``, ``.asc``)."""
    path = Path(path)
    if not path.is_file():
        raise SynthECGError(f"{path}: file not found")
    kind = format_for(path)
    if kind == "npy":
        return numpy_files.read_npy(path, fs=fs, leads=leads)
    if kind == "npz":
        return numpy_files.read_npz(path)
    if kind == "hdf5":
        return hdf5.read_hdf5(path)
    if kind == "asc":
        return asc.read_asc(path, fs=fs)
    if kind == "csv":
        return csv_files.read_csv(path, fs=fs)
    if kind == "edf":
        return edf.read_edf(path)
    hea = path.with_suffix(".hea")
    return cinc.read_cinc(hea) if path.suffix.lower() == ".mat" or cinc.is_mat_record(hea) \
        else wfdb.read_wfdb(hea)


def _stores_rate(path: Path) -> bool:
    return path.suffix.lower() not in (".npy", ".csv", ".asc")


def _finish(batch: ECGBatch, path: Path, fs, length, leads) -> ECGBatch:
    if leads is not None:
        batch = batch.select(leads)
    return folders.harmonise([batch], path, fs, length)[0]


def read(path: str | os.PathLike, fs: float | None = None, length: int | None = None,
         leads: Sequence[str] | None = None) -> ECGBatch:
    """Read a file, a folder of records or a generation folder into one ECGBatch.

    ``fs``: for files that store a rate, resample to ``fs`` Hz (polyphase); for ``.npy``,
    ``.csv`` and ``.asc``, which store none, it *is* their rate (default 500 Hz).
    ``length``: crop/pad every ECG to ``length`` samples (centre crop, zero pad at both ends:
    ``synthecg.data.crop_or_pad``). ``leads`` selects and orders leads. Records of different
    rates or lengths in one folder raise SynthECGError unless ``fs``/``length`` are given.
    """
    path = Path(path)
    if path.is_dir():
        if (path / manifest.MANIFEST_NAME).is_file():
            return _finish(manifest.read_manifest_folder(path), path, fs, length, leads)
        batches = [_read_member(p, fs, leads) for p in folders.record_files(path)]
        return ECGBatch.concat(folders.harmonise(batches, path, fs, length))
    if not path.exists():
        raise SynthECGError(f"{path}: no such file or folder")
    if _stores_rate(path):
        return _finish(read_file(path), path, fs, length, leads)
    return _finish(read_file(path, fs=fs), path, None, length, leads)


def _is_record_folder(path: Path) -> bool:
    """A folder of record files, as opposed to a generation folder with a manifest."""
    return path.is_dir() and not (path / manifest.MANIFEST_NAME).is_file()


def _read_member(path: Path, fs, leads) -> ECGBatch:
    """One record file of a folder, with ``leads`` selected (rate-less files take ``fs``)."""
    batch = read_file(path) if _stores_rate(path) else read_file(path, fs=fs)
    return batch.select(leads) if leads is not None else batch


def iter_batches(path: str | os.PathLike, batch_size: int = 256, fs: float | None = None,
                 length: int | None = None, leads: Sequence[str] | None = None) -> Iterator[ECGBatch]:
    """ECGBatches of at most ``batch_size`` ECGs without loading everything at once
    (generation folders shard by shard, HDF5 files chunk by chunk, record folders
    ``batch_size`` records at a time)."""
    path = Path(path)
    if batch_size <= 0:
        raise SynthECGError(f"batch_size: must be positive, got {batch_size}")
    if _is_record_folder(path):
        sources = folders.iter_folder(path, lambda p: _read_member(p, fs, leads), batch_size, fs, length)
    elif path.is_dir():
        sources = (_finish(b, path, fs, length, leads) for b in manifest.iter_manifest(path))
    elif path.is_file() and format_for(path) == "hdf5":
        sources = (_finish(b, path, fs, length, leads) for b in hdf5.iter_hdf5(path, batch_size))
    else:
        sources = iter([read(path, fs=fs, length=length, leads=leads)])
    for batch in sources:
        for start in range(0, len(batch), batch_size):
            yield batch[start:start + batch_size]


def iter_records(path: str | os.PathLike, batch_size: int = 256,
                 leads: Sequence[str] | None = None) -> Iterator[ECGBatch]:
    """Like :func:`iter_batches`, but a record folder yields each record as it is, so folders
    whose records differ in rate or length (CODE-15 exports) can be described, plotted or
    measured record by record without resampling."""
    path = Path(path)
    if _is_record_folder(path):
        for record in folders.record_files(path):
            yield _read_member(record, None, leads)
    else:
        yield from iter_batches(path, batch_size=batch_size, leads=leads)


def write(batch: ECGBatch, path: str | os.PathLike, format: str | None = None,
          overwrite: bool = False, compression: str | None = None) -> Path:
    """Write ``batch`` to ``path`` atomically and return ``path``.

    A file path with a known suffix writes one file (``.csv``/``.asc``/``.edf``/``.hea`` hold
    one ECG each). ``format="wfdb"|"csv"|"asc"|"edf"`` with a path without suffix writes a
    folder holding one record or file per ECG (WFDB adds a ``RECORDS`` file); ``npy``, ``npz``
    and ``hdf5`` always write one file. Existing files are refused unless ``overwrite``.
    ``compression``: HDF5 only, ``"gzip"`` (default), ``"lzf"`` or ``"none"`` (see ``io/hdf5.py``).
    """
    path = Path(path)
    if not isinstance(batch, ECGBatch):
        raise SynthECGError(f"write: expected an ECGBatch, got {type(batch).__name__}")
    if path.parent and not path.parent.exists():
        raise SynthECGError(f"{path}: folder {path.parent} does not exist")
    kind = format_for(path, format)
    if compression is not None and kind != "hdf5":
        raise SynthECGError(f"compression: applies to HDF5 files only, not {kind}")
    if path.suffix.lower() == ".mat":
        raise SynthECGError(f"{path}: CinC .mat records are read only; write format 'wfdb' "
                            "(.hea + .dat), which every CinC and PhysioNet tool reads")
    if kind in PER_ECG_FORMATS and (path.suffix == "" or path.is_dir()):
        _write_folder(batch, path, kind, overwrite)
        return path
    if kind in PER_ECG_FORMATS and len(batch) != 1:
        raise SynthECGError(f"{path}: a {kind} file holds one ECG, this batch has {len(batch)}; "
                            f"write to a folder (a path without suffix) with format={kind!r}")
    if compression is not None:
        hdf5.write_hdf5(batch, path, overwrite=overwrite, compression=compression)
    else:
        _WRITERS[kind](batch, path, overwrite=overwrite)
    return path


def _write_folder(batch: ECGBatch, folder: Path, kind: str, overwrite: bool) -> None:
    """One record/file per ECG inside ``folder`` (created; each file atomic)."""
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise SynthECGError(f"{folder}: folder exists and is not empty; pass overwrite=True "
                            "(--overwrite) to write into it")
    folder.mkdir(exist_ok=True)
    if kind == "wfdb":
        wfdb.write_wfdb_folder(batch, folder, overwrite=overwrite)
        return
    if kind == "asc":
        asc.check_asc_batch(batch, folder)
    # DeepFake-ECG names its files 0.asc, 1.asc, ...; others get zero-padded names.
    names = [str(k) for k in range(len(batch))] if kind == "asc" else wfdb.record_names(batch)
    for k, name in enumerate(names):
        path = folder / (name + _FOLDER_SUFFIX[kind])
        if kind == "asc":
            write_bytes(path, asc.asc_bytes(batch[k]), overwrite=overwrite)
        else:
            _WRITERS[kind](batch[k], path, overwrite=overwrite)


__all__ = ["iter_records", "FORMATS", "read", "write", "iter_batches", "read_file", "format_for"]
