"""Where training records live: the files of a data path, stable record ids, and reading any
rows of a file on demand (so large sets stream instead of loading whole).

A data path is anything :func:`synthecg.io.read` accepts: a folder of records (WFDB, CinC,
CSV, ASC, EDF, or NPY/NPZ/HDF5 files: :func:`synthecg.io.folders.record_files` decides which),
a generation folder (``manifest.json`` + shards), or one file.

Record ids: the file's path relative to the data path (POSIX), plus ``#k`` for the k-th ECG of
a multi-ECG file (NPY/NPZ/HDF5 always; another file only when it holds several ECGs), e.g.
``E07500.hea``, ``data/1.hea``, ``ecgs-00000.h5#17``. For a single-file data path the id
starts with the file's name. Files that store no sampling rate (``.npy``, ``.csv``, ``.asc``)
are read at the generation manifest's rate, else 500 Hz (as :func:`synthecg.io.read` does).
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import normalize_lead_name

RATELESS_FS = 500.0
CONTAINERS = {".h5": "hdf5", ".hdf5": "hdf5", ".npy": "npy", ".npz": "npz"}
_RATELESS = (".npy", ".csv", ".asc")


@dataclass(frozen=True)
class SourceFile:
    """One file of a data path: ``name`` is its id prefix, ``kind`` hdf5 | npy | npz | record;
    ``fs``/``leads`` come from a generation manifest for shards that store neither."""

    path: Path
    name: str
    kind: str
    fs: float | None = None
    leads: tuple[str, ...] | None = None

    @property
    def multi(self) -> bool:
        return self.kind != "record"


def list_files(root: str | os.PathLike) -> tuple[Path, list[SourceFile]]:
    """``(absolute data path, its files in reading order)``; SynthECGError (one line) when the
    path does not exist or holds no ECG files."""
    from ..io import folders, manifest

    root = Path(root).expanduser().absolute()
    if not root.exists():
        raise SynthECGError(f"{root}: no such file or folder")
    if root.is_file():
        return root, [_source(root, root.name)]
    if (root / manifest.MANIFEST_NAME).is_file():
        info = manifest.read_manifest(root)
        if not info.get("complete"):
            raise SynthECGError(f"{root}: generation is incomplete; run the same generate "
                                "command again to finish it")
        fs, leads = float(info["fs"]), tuple(info["leads"])
        return root, [_source(root / s["file"], s["file"], fs, leads) for s in info["shards"]]
    files = folders.record_files(root)
    return root, [_source(p, p.relative_to(root).as_posix()) for p in files]


def _source(path: Path, name: str, fs=None, leads=None) -> SourceFile:
    kind = CONTAINERS.get(path.suffix.lower(), "record")
    if fs is None and path.suffix.lower() in _RATELESS:
        fs = RATELESS_FS
    return SourceFile(path=path, name=name, kind=kind, fs=fs, leads=leads)


def record_id(src: SourceFile, row: int, n_in_file: int = 1) -> str:
    return f"{src.name}#{row}" if src.multi or n_in_file > 1 else src.name


def split_id(record: str) -> tuple[str, int | None]:
    """``"shards/ecgs-00000.h5#17"`` -> ``("shards/ecgs-00000.h5", 17)``; no ``#k`` -> row None."""
    name, sep, row = record.rpartition("#")
    if sep and row.isdigit():
        return name, int(row)
    return record, None


class FileReader:
    """Reads rows of source files, keeping HDF5/NPY files open (memory-mapped NPY) and the
    last few whole-file reads cached. Safe across fork: a reader used in a new process
    (a DataLoader worker) drops the handles it inherited and opens its own."""

    CACHE_FILES = 4

    def __init__(self, quiet: bool = False):
        self.quiet = quiet  # suppress reader warnings (they were shown when the data was indexed)
        self._pid = os.getpid()
        self._handles: dict[Path, object] = {}
        self._whole: OrderedDict[Path, ECGBatch] = OrderedDict()

    def __getstate__(self):
        return {"quiet": self.quiet}

    def __setstate__(self, state):
        self.__init__(**state)

    def _check_process(self) -> None:
        if os.getpid() != self._pid:  # forked: never touch the parent's HDF5 handles
            self._handles, self._whole, self._pid = {}, OrderedDict(), os.getpid()

    def count(self, src: SourceFile) -> int:
        """ECGs in the file (containers: from the header; records: by reading them)."""
        self._check_process()
        if src.kind == "hdf5":
            return self.hdf5(src).n
        if src.kind == "npy":
            array = self._npy(src)
            return 1 if array.ndim == 2 else int(array.shape[0])
        return len(self._read_whole(src))

    def layout(self, src: SourceFile) -> tuple[float, tuple[str, ...], str]:
        """``(fs, leads, units)`` of an HDF5 or NPY file, without reading signals."""
        from ..io.numpy_files import default_leads

        self._check_process()
        if src.kind == "hdf5":
            h5 = self.hdf5(src)
            fs, leads, units = h5.fs, h5.leads, h5.units
        else:
            array = self._npy(src)
            units = "uV" if np.issubdtype(array.dtype, np.integer) else "mV"
            fs = src.fs or RATELESS_FS
            leads = src.leads or default_leads(array.shape[-2], src.path)
        return fs, tuple(normalize_lead_name(x) for x in leads), units

    def signals(self, src: SourceFile, start: int, stop: int) -> np.ndarray:
        """Rows start..stop-1 of an HDF5 or NPY file as stored (no ECGBatch: the fast path
        for one training item)."""
        self._check_process()
        if src.kind == "hdf5":
            return self.hdf5(src).signals(start, stop)
        array = self._npy(src)
        array = array[None] if array.ndim == 2 else array
        return np.array(array[start:stop])

    def read(self, src: SourceFile, start: int = 0, stop: int | None = None,
             meta: bool = True) -> ECGBatch:
        """ECGs ``start..stop-1`` of a file (all when ``stop`` is None)."""
        self._check_process()
        if src.kind == "hdf5":
            h5 = self.hdf5(src)
            stop = h5.n if stop is None else stop
            signals = h5.signals(start, stop)
            return ECGBatch(signals=signals, fs=h5.fs, leads=h5.leads, units=h5.units,
                            meta=h5.meta(start, stop) if meta else None)
        if src.kind == "npy":
            from ..io.numpy_files import default_leads

            array = self._npy(src)
            array = array[None] if array.ndim == 2 else array
            stop = array.shape[0] if stop is None else stop
            signals = np.array(array[start:stop])  # copy out of the memory map
            units = "uV" if np.issubdtype(signals.dtype, np.integer) else "mV"
            leads = src.leads or default_leads(signals.shape[1], src.path)
            return ECGBatch(signals=signals, fs=src.fs or RATELESS_FS, leads=leads, units=units)
        whole = self._read_whole(src)
        return whole[start:len(whole) if stop is None else stop]

    def hdf5(self, src: SourceFile):
        """The open :class:`synthecg.io.hdf5.HDF5Reader` of an HDF5 source (opened once)."""
        from ..io.hdf5 import HDF5Reader

        self._check_process()
        handle = self._handles.get(src.path)
        if handle is None:
            handle = self._handles[src.path] = HDF5Reader(src.path)
        return handle

    def _npy(self, src: SourceFile) -> np.ndarray:
        array = self._handles.get(src.path)
        if array is None:
            try:
                array = np.load(src.path, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError, EOFError) as exc:
                raise SynthECGError(f"{src.path}: not a readable .npy file ({exc})") from exc
            if array.ndim not in (2, 3):
                raise SynthECGError(f"{src.path}: expected an array (n, leads, samples), "
                                    f"got shape {array.shape}")
            self._handles[src.path] = array
        return array

    def _read_whole(self, src: SourceFile) -> ECGBatch:
        from ..io import read_file

        batch = self._whole.get(src.path)
        if batch is not None:
            self._whole.move_to_end(src.path)
            return batch
        with warnings.catch_warnings():
            if self.quiet:
                warnings.simplefilter("ignore")
            batch = read_file(src.path, fs=src.fs, leads=src.leads) if src.fs is not None \
                else read_file(src.path)
        self._whole[src.path] = batch
        while len(self._whole) > self.CACHE_FILES:
            self._whole.popitem(last=False)
        return batch

    def iter_chunks(self, src: SourceFile, chunk: int) -> Iterator[tuple[int, ECGBatch]]:
        """``(start, batch)`` covering the whole file, ``chunk`` ECGs at a time."""
        n = self.count(src)
        for start in range(0, n, chunk):
            yield start, self.read(src, start, min(start + chunk, n))

    def close(self) -> None:
        for handle in self._handles.values():
            if hasattr(handle, "close"):
                handle.close()
        self._handles, self._whole = {}, OrderedDict()
