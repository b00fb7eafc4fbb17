"""WFDB records (PhysioNet ``.hea`` + ``.dat``), read and written with the ``wfdb`` library.

Reading: one record per ``.hea`` (a ``.dat`` path means its record). Samples are converted with
each signal's gain and baseline: to integer µV when that is exact (gain 1000 adu/mV, as in
CinC, PTB-XL and CODE-15, or any gain dividing 1000), else to float32 mV (LUDB's per-lead gains).
Writing: one record per ECG, format 16 (format 32 where µV values exceed int16), gain
1000 adu/mV and baseline 0, so 1 adu = 1 µV; the comments carry ``meta`` (see ``header.py``)
and a ``synthecg-units: mV`` line for millivolt batches so they come back as millivolts.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .._files import write_bytes
from ..ecg import ECGBatch, to_integer_uv
from ..errors import SynthECGError
from ..leads import STANDARD_12, normalize_lead_name
from .header import check_checksums, comments_from_meta, meta_from_comments

GAIN_ADU_PER_MV = 1000.0
_UV_PER_UNIT = {"mv": 1000.0, "uv": 1.0, "μv": 1.0, "µv": 1.0, "v": 1e6}
_RECORD_NAME = re.compile(r"^[-\w]+$")


def digital_to_batch(digital: np.ndarray, gains: Sequence[float], baselines: Sequence[int],
                     units: Sequence[str], names: Sequence[str], fs: float, meta: dict[str, Any],
                     units_hint: str | None, path: Path) -> ECGBatch:
    """One ECG from digital samples ``(n_leads, n_samples)`` and per-lead calibration.

    Returns integer µV when every lead's µV per adu is a whole number, else float32 mV.
    """
    uv_per_adu = []
    for gain, unit in zip(gains, units):
        scale = _UV_PER_UNIT.get(str(unit).strip().lower())
        if scale is None:
            raise SynthECGError(f"{path}: signal units {unit!r} are not a voltage (mV, uV)")
        if not (np.isfinite(gain) and gain > 0):
            raise SynthECGError(f"{path}: invalid gain {gain}")
        uv_per_adu.append(scale / gain)
    uv_per_adu = np.asarray(uv_per_adu)[:, None]
    centred = digital.astype(np.int64) - np.asarray(baselines, dtype=np.int64)[:, None]
    if np.all(uv_per_adu == np.rint(uv_per_adu)):
        signals, out_units = to_integer_uv(centred * uv_per_adu.astype(np.int64)), "uV"
    else:
        signals, out_units = (centred * (uv_per_adu / 1000.0)).astype(np.float32), "mV"
    batch = ECGBatch(signals=signals[None], fs=fs, leads=lead_names(names, path),
                     units=out_units, meta=[meta])
    return batch.to_units(units_hint) if units_hint else batch


def lead_names(names: Sequence[str], path: Path) -> tuple[str, ...]:
    """Normalised lead names; names that are not standard leads are kept and reported."""
    leads = tuple(normalize_lead_name(name) for name in names)
    unknown = [lead for lead in leads if lead not in STANDARD_12]
    if unknown:
        warnings.warn(f"{path}: non-standard lead names kept as they are: {', '.join(unknown)}",
                      stacklevel=4)
    if len(set(leads)) != len(leads):
        raise SynthECGError(f"{path}: duplicate lead names {leads}")
    return leads


def read_wfdb(path: Path) -> ECGBatch:
    """One WFDB record (``.hea`` or ``.dat`` path) as a batch of one ECG; meta has ``source``."""
    import wfdb

    hea = Path(path).with_suffix(".hea")
    if not hea.is_file():
        raise SynthECGError(f"{hea}: header file not found")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # wfdb warns about checksums and odd headers; we check below
        try:
            record = wfdb.rdrecord(str(hea.with_suffix("")), physical=False)
        except Exception as exc:  # wfdb raises many types (ValueError, IndexError, struct...)
            raise SynthECGError(f"{hea}: unreadable WFDB record ({type(exc).__name__}: {exc})") from exc
    digital = record.d_signal
    if digital is None or digital.ndim != 2 or digital.shape[1] != record.n_sig:
        raise SynthECGError(f"{hea}: no signal samples")
    if record.sig_len and digital.shape[0] != record.sig_len:
        raise SynthECGError(f"{hea}: header says {record.sig_len} samples, signal file holds "
                            f"{digital.shape[0]}")
    if digital.shape[0] == 0:
        raise SynthECGError(f"{hea}: record has no samples")
    check_checksums(digital.T, list(record.checksum or [None] * record.n_sig), hea)
    meta, units_hint = meta_from_comments(list(record.comments or []))
    meta.setdefault("source", str(hea))
    return digital_to_batch(digital.T, record.adc_gain, record.baseline, record.units,
                            record.sig_name, record.fs, meta, units_hint, hea)


def record_names(batch: ECGBatch) -> list[str]:
    """``00000``, ``00001``, ... (one per ECG, in order)."""
    width = max(5, len(str(len(batch) - 1)))
    return [f"{i:0{width}d}" for i in range(len(batch))]


def write_wfdb_record(batch: ECGBatch, folder: Path, name: str, overwrite: bool = False) -> None:
    """Write the first ECG of ``batch`` as ``folder/name.hea`` + ``.dat``, atomically.

    wfdb writes into a private temporary folder; the files are then moved in through
    ``write_bytes`` (the ``.dat`` before the ``.hea``, so a reader never finds a header whose
    signal file is missing or partial).
    """
    import wfdb

    if not _RECORD_NAME.match(name):
        raise SynthECGError(f"{name!r}: WFDB record names use letters, digits, '-' and '_' only")
    one = batch[0]
    digital = one.to_units("uV").signals[0].astype(np.int64)  # 1 adu = 1 µV
    fmt = "16" if digital.size == 0 or (digital.min() >= -32767 and digital.max() <= 32767) else "32"
    comments = comments_from_meta(one.meta[0], units="mV" if batch.units == "mV" else None)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder))
    try:
        try:
            wfdb.wrsamp(name, fs=float(one.fs), units=["mV"] * one.n_leads, sig_name=list(one.leads),
                        d_signal=np.ascontiguousarray(digital.T), fmt=[fmt] * one.n_leads,
                        adc_gain=[GAIN_ADU_PER_MV] * one.n_leads, baseline=[0] * one.n_leads,
                        comments=comments, write_dir=str(scratch))
        except Exception as exc:  # wfdb validates names, units, comments
            raise SynthECGError(f"{folder / name}: wfdb could not write the record ({exc})") from exc
        for suffix in (".dat", ".hea"):
            write_bytes(folder / (name + suffix), (scratch / (name + suffix)).read_bytes(),
                        overwrite=overwrite)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_wfdb_folder(batch: ECGBatch, folder: Path, overwrite: bool = False) -> None:
    """One record per ECG (``00000.hea``/``.dat``, ...) and a ``RECORDS`` file listing them."""
    names = record_names(batch)
    for k, name in enumerate(names):
        write_wfdb_record(batch[k], folder, name, overwrite=overwrite)
    write_bytes(folder / "RECORDS", "".join(f"{name}\n" for name in names).encode(), overwrite=overwrite)
