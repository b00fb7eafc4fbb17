"""DeepFake-ECG ``.asc`` text files: one ECG per file, one row per sample (5000 rows at
500 Hz), 8 space-separated integer µV columns in the order I, II, V1-V6, no header.

This is what ``deepfakeecg.generate`` writes (``np.savetxt(..., fmt='%i')``) and what its users
load with ``np.loadtxt``. The files store no rate: it is 500 Hz unless ``fs`` says otherwise.
A folder of them is read in numeric file order (0.asc, 1.asc, 2.asc, ..., 10.asc).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .._files import write_bytes
from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8

ASC_FS = 500.0


def read_asc(path: Path, fs: float | None = None) -> ECGBatch:
    """One ``.asc`` file as a batch of one ECG (int µV, leads I, II, V1-V6)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SynthECGError(f"{path}: unreadable ({exc.strerror or exc})") from exc
    if data and not data.endswith(b"\n"):
        # np.savetxt ends every row with a newline; without one the file was cut off mid-value.
        raise SynthECGError(f"{path}: last row has no line end; the file is truncated")
    rows = data.count(b"\n")
    try:
        with warnings.catch_warnings():
            # fromstring stops at the first token that is not an integer and only warns;
            # as an error it is caught below. It parses about 1.5x faster than np.loadtxt.
            warnings.simplefilter("error")
            values = np.fromstring(data, dtype=np.int64, sep=" ") if rows else np.zeros(0, np.int64)
    except (ValueError, DeprecationWarning) as exc:
        raise SynthECGError(f"{path}: a value is not an integer ({exc})") from None
    if not rows or values.size != 8 * rows or len(data[:data.index(b"\n")].split()) != 8:
        raise SynthECGError(f"{path}: expected rows of 8 integer µV columns (I, II, V1-V6), "
                            f"found {values.size} values on {rows} rows")
    if values.min() < -2**31 or values.max() >= 2**31:
        raise SynthECGError(f"{path}: values beyond int32 µV")
    signals = values.reshape(rows, 8).T
    signals = signals.astype(np.int16 if np.abs(signals).max() <= 32767 else np.int32)
    return ECGBatch(signals=signals[None], fs=ASC_FS if fs is None else fs, leads=INDEPENDENT_8,
                    units="uV", meta=[{"source": str(path)}])


def asc_bytes(batch: ECGBatch) -> bytes:
    """The text of the first ECG of ``batch`` (needs leads I, II, V1-V6; µV, rounded)."""
    eight = batch[0].select(INDEPENDENT_8).to_units("uV").signals[0]
    return ("\n".join(" ".join(map(str, row)) for row in eight.T.tolist()) + "\n").encode()


def check_asc_batch(batch: ECGBatch, path: Path) -> None:
    if batch.fs != ASC_FS:
        raise SynthECGError(f"{path}: DeepFake ASC files are {ASC_FS:g} Hz; this batch is "
                            f"{batch.fs:g} Hz (resample with synthecg.data.resample first)")
    extra = [lead for lead in batch.leads if lead not in INDEPENDENT_8]
    if extra:
        warnings.warn(f"{path}: ASC holds I, II, V1-V6 only; dropping {', '.join(extra)} "
                      "(synthecg.leads.expand_to_12 derives the limb leads again)", stacklevel=4)


def write_asc(batch: ECGBatch, path: Path, overwrite: bool = False) -> None:
    check_asc_batch(batch, path)
    write_bytes(path, asc_bytes(batch), overwrite=overwrite)
