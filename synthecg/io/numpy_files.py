"""NumPy files: ``.npy`` (signals only) and ``.npz`` (signals with fs, leads, units and meta).

NPZ files are written deterministically (fixed zip timestamps, sorted members), so the same
batch always gives the same bytes: generation shards can be checked by sha256 and a resumed
run is byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import io as _io
import json
import sys
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .._files import atomic_path
from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8, STANDARD_12

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
DEFAULT_FS = 500.0


def default_leads(n_leads: int, path: Path) -> tuple[str, ...]:
    """The lead order SynthECG writes for 8 or 12 leads (bare arrays carry no names)."""
    if n_leads == 8:
        return INDEPENDENT_8
    if n_leads == 12:
        return STANDARD_12
    raise SynthECGError(f"{path}: {n_leads} leads and no lead names; pass leads=[...]")


def _load_array(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise SynthECGError(f"{path}: file not found") from None
    except (ValueError, OSError, EOFError) as exc:
        raise SynthECGError(f"{path}: not a readable .npy file ({exc})") from exc


def read_npy(path: Path, fs: float | None = None, leads=None) -> ECGBatch:
    """A bare array (n, leads, samples) or (leads, samples): integers are µV, floats mV.

    It stores no sampling rate: ``fs`` defaults to 500 Hz with a warning; 8 or 12 leads get
    SynthECG's lead order unless ``leads`` names them.
    """
    signals = _load_array(path)
    if signals.ndim == 2:
        signals = signals[None]
    if signals.ndim != 3:
        raise SynthECGError(f"{path}: expected an array (n, leads, samples), got shape {signals.shape}")
    if fs is None:
        warnings.warn(f"{path}: .npy stores no sampling rate; assuming {DEFAULT_FS:g} Hz", stacklevel=3)
        fs = DEFAULT_FS
    units = "uV" if np.issubdtype(signals.dtype, np.integer) else "mV"
    _check_finite(signals, path)
    lead_names = tuple(leads) if leads is not None else default_leads(signals.shape[1], path)
    return ECGBatch(signals=signals, fs=fs, leads=lead_names, units=units)


def write_npy(batch: ECGBatch, path: Path, overwrite: bool = False) -> None:
    with NpyWriter(path, batch.signals.shape, batch.signals.dtype, overwrite=overwrite) as writer:
        writer.write(batch.signals)


class NpyWriter:
    """Write one ``.npy`` array of known shape and dtype block by block, atomically.

    For data produced in pieces (generation shards): nothing is held beyond the current block,
    and the file appears under its name only once every row was written::

        with NpyWriter(path, (n, 12, 5000), np.int16) as writer:
            for rows in blocks:
                writer.write(rows)
    """

    def __init__(self, path: Path, shape: tuple[int, ...], dtype, overwrite: bool = False):
        self.path, self.shape, self.dtype = Path(path), tuple(shape), np.dtype(dtype)
        self.overwrite = overwrite
        self.rows = 0

    def __enter__(self) -> "NpyWriter":
        self._stack = contextlib.ExitStack()
        with self._stack:
            tmp = self._stack.enter_context(atomic_path(self.path, overwrite=self.overwrite))
            self._fh = self._stack.enter_context(open(tmp, "wb"))
            header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                      "shape": self.shape}
            np.lib.format.write_array_header_1_0(self._fh, header)
            self._stack = self._stack.pop_all()
        return self

    def write(self, rows: np.ndarray) -> None:
        """Append ``rows`` (k, *shape[1:]) of this writer's dtype."""
        rows = np.ascontiguousarray(rows)
        if rows.dtype != self.dtype or rows.shape[1:] != self.shape[1:]:
            raise SynthECGError(f"{self.path}: block {rows.dtype} {rows.shape} does not fit an "
                                f"array {self.dtype} {self.shape}")
        if self.rows + len(rows) > self.shape[0]:
            raise SynthECGError(f"{self.path}: more than the {self.shape[0]} rows announced")
        # A Python file object raises on a short write; ndarray.tofile (np.save) silently
        # truncated files when the disk filled up.
        self._fh.write(memoryview(rows).cast("B"))
        self.rows += len(rows)

    def __exit__(self, kind, value, traceback) -> bool:
        if kind is None and self.rows != self.shape[0]:
            try:
                raise SynthECGError(f"{self.path}: {self.rows} of {self.shape[0]} rows written")
            except SynthECGError:
                self._stack.__exit__(*sys.exc_info())
                raise
        return self._stack.__exit__(kind, value, traceback)


def _npz_member(zf: zipfile.ZipFile, name: str, array: np.ndarray, compress: bool) -> None:
    buffer = _io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    zf.writestr(info, buffer.getvalue())


def write_npz(batch: ECGBatch, path: Path, overwrite: bool = False, compress: bool = True) -> None:
    """Write signals plus ``fs``, ``leads``, ``units`` and ``meta`` (JSON) as one .npz."""
    members = {
        "fs": np.asarray(batch.fs, dtype=np.float64),
        "leads": np.asarray(batch.leads, dtype=str),
        "meta": np.asarray(json.dumps(batch.meta, sort_keys=True, separators=(",", ":"))),
        "signals": np.ascontiguousarray(batch.signals),
        "units": np.asarray(batch.units),
    }
    with atomic_path(path, overwrite=overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name in sorted(members):
                _npz_member(zf, name, members[name], compress)


def read_npz(path: Path) -> ECGBatch:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = {"signals", "fs", "leads", "units"} - set(data.files)
            if missing:
                raise SynthECGError(f"{path}: not a SynthECG .npz (missing {', '.join(sorted(missing))})")
            signals = data["signals"]
            fs = float(data["fs"])
            leads = tuple(str(x) for x in data["leads"])
            units = str(data["units"])
            meta = json.loads(str(data["meta"])) if "meta" in data.files else []
    except FileNotFoundError:
        raise SynthECGError(f"{path}: file not found") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error) as exc:
        raise SynthECGError(f"{path}: not a readable .npz file ({exc})") from exc
    _check_finite(signals, path)
    return ECGBatch(signals=signals, fs=fs, leads=leads, units=units, meta=meta)


def _check_finite(signals: np.ndarray, path: Path) -> None:
    if np.issubdtype(signals.dtype, np.floating) and not np.all(np.isfinite(signals)):
        bad = int(np.count_nonzero(~np.isfinite(signals)))
        raise SynthECGError(f"{path}: {bad} NaN or infinite samples")
