"""NumPy files: ``.npy`` (signals only) and ``.npz`` (signals with fs, leads, units and meta).

NPZ files are written deterministically (fixed zip timestamps, sorted members), so the same
batch always gives the same bytes: generation shards can be checked by sha256 and a resumed
run is byte-identical to an uninterrupted one.
"""

from __future__ import annotations

import io as _io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .._atomic import atomic_path
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
    # Header and data go through Python's file object, which raises on a short write; numpy's
    # own np.save (ndarray.tofile) silently truncated files when the disk filled up.
    array = np.ascontiguousarray(batch.signals)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, np.lib.format.header_data_from_array_1_0(array))
            fh.write(memoryview(array).cast("B"))


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
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise SynthECGError(f"{path}: not a readable .npz file ({exc})") from exc
    _check_finite(signals, path)
    return ECGBatch(signals=signals, fs=fs, leads=leads, units=units, meta=meta)


def _check_finite(signals: np.ndarray, path: Path) -> None:
    if np.issubdtype(signals.dtype, np.floating) and not np.all(np.isfinite(signals)):
        bad = int(np.count_nonzero(~np.isfinite(signals)))
        raise SynthECGError(f"{path}: {bad} NaN or infinite samples")
