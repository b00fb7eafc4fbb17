"""CSV files: one ECG per file, a header row of lead names, one row per sample.

Values are integer µV by default; a millivolt batch is written as floats (``units="mV"`` when
reading means "these are floats in mV"; without it, a file of integers is µV and a file with
decimals is mV). CSV stores no sampling rate: ``fs`` gives it (500 Hz with a warning when not given).
"""

from __future__ import annotations

import io as _io
import warnings
from pathlib import Path

import numpy as np

from .._files import write_bytes
from ..ecg import ECGBatch, to_integer_uv
from ..errors import SynthECGError
from .wfdb import lead_names

DEFAULT_FS = 500.0


def read_csv(path: Path, fs: float | None = None, warn_fs: bool = True) -> ECGBatch:
    """One CSV file as a batch of one ECG."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SynthECGError(f"{path}: unreadable CSV ({exc})") from exc
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise SynthECGError(f"{path}: expected a header row of lead names and sample rows")
    names = [name.strip().strip('"') for name in lines[0].split(",")]
    try:
        values = np.loadtxt(_io.StringIO("\n".join(lines[1:])), delimiter=",", dtype=np.float64,
                            ndmin=2)
    except ValueError as exc:
        raise SynthECGError(f"{path}: non-numeric or ragged rows ({exc})") from None
    if values.shape[1] != len(names):
        raise SynthECGError(f"{path}: {len(names)} lead names but {values.shape[1]} columns")
    if not np.all(np.isfinite(values)):
        raise SynthECGError(f"{path}: NaN or infinite samples")
    integers = not any("." in line or "e" in line.lower() for line in lines[1:2]) and \
        np.all(values == np.rint(values))
    if fs is None:
        if warn_fs:
            warnings.warn(f"{path}: CSV stores no sampling rate; assuming {DEFAULT_FS:g} Hz", stacklevel=3)
        fs = DEFAULT_FS
    if integers:
        signals, units = to_integer_uv(values.T), "uV"
    else:
        signals, units = values.T.astype(np.float32), "mV"
    return ECGBatch(signals=signals[None], fs=fs, leads=lead_names(names, path), units=units,
                    meta=[{"source": str(path)}])


def csv_bytes(batch: ECGBatch) -> bytes:
    """The first ECG of ``batch`` as CSV text (µV integers, or mV floats to 1 nV)."""
    one = batch[0]
    buffer = _io.StringIO()
    buffer.write(",".join(one.leads) + "\n")
    # '%.6f' keeps every float32 mV value to well under its own precision (and marks it float).
    np.savetxt(buffer, one.signals[0].T, fmt="%d" if one.units == "uV" else "%.6f", delimiter=",")
    return buffer.getvalue().encode()


def write_csv(batch: ECGBatch, path: Path, overwrite: bool = False) -> None:
    write_bytes(path, csv_bytes(batch), overwrite=overwrite)
