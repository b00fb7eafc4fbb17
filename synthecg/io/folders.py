"""Folders of records: which files hold the ECGs, in which order, and how to read them in
batches that share one rate and length.

Record files, in order of preference (the first kind present wins, so LUDB's ``ludb.csv`` or
CODE-15's ``records.csv`` beside the records are not mistaken for ECGs):

1. ``RECORDS`` (PhysioNet's list), else every ``.hea`` below the folder (WFDB or CinC ``.mat``)
2. ``.edf``  3. ``.csv``  4. ``.asc``  5. ``.npz`` / ``.h5`` / ``.hdf5`` / ``.npy``

Files are sorted in natural order (``2.asc`` before ``10.asc``).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..ecg import ECGBatch
from ..errors import SynthECGError

_KINDS = ((".edf",), (".csv",), (".asc",), (".npz", ".h5", ".hdf5", ".npy"))


def natural_key(path: Path) -> list:
    """Sort key that orders embedded numbers numerically: 2.asc < 10.asc."""
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r"(\d+)", str(path))]


def record_files(folder: Path) -> list[Path]:
    """The files of ``folder`` that each hold ECGs, in reading order (see module docstring)."""
    records = folder / "RECORDS"
    if records.is_file():
        try:
            names = [line.strip() for line in records.read_text().splitlines() if line.strip()]
        except (OSError, UnicodeDecodeError) as exc:
            raise SynthECGError(f"{records}: unreadable ({exc})") from exc
        paths = [folder / (name + ".hea") for name in names]
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise SynthECGError(f"{records}: lists {len(missing)} record(s) without a header, "
                                f"e.g. {missing[0]}")
        if paths:
            return paths
    headers = sorted((p for p in folder.rglob("*.hea") if not p.name.startswith(".")), key=natural_key)
    if headers:
        return headers
    for suffixes in _KINDS:
        found = sorted((p for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file()
                        and not p.name.startswith(".")), key=natural_key)
        if found:
            return found
    raise SynthECGError(f"{folder}: no ECG files (.hea, .edf, .csv, .asc, .npz, .h5, .npy) "
                        "and no manifest.json")


def describe(values: Sequence, unit: str) -> str:
    """'400 Hz (3), 500 Hz (2)': what was found, with counts."""
    return ", ".join(f"{v:g}{unit} ({c})" for v, c in sorted(Counter(values).items()))


def harmonise(batches: list[ECGBatch], where: Path, fs: float | None,
              length: int | None) -> list[ECGBatch]:
    """Bring batches to one rate, length and unit; without ``fs``/``length``, differing rates
    or lengths raise SynthECGError saying what was found."""
    from ..data.preprocess import crop_or_pad, resample

    steps = ((fs, lambda b: resample(b, fs), lambda b: b.fs, "sampling rates", " Hz", "fs=... to resample"),
             (length, lambda b: crop_or_pad(b, length), lambda b: b.n_samples, "lengths", " samples",
              "length=... to crop/pad"))
    for wanted, fix, value, what, unit, hint in steps:
        if wanted is not None:
            batches = [fix(b) for b in batches]
        found = [value(b) for b in batches for _ in range(len(b))]  # one entry per ECG
        if len(set(found)) > 1:
            raise SynthECGError(f"{where}: records have different {what}: "
                                f"{describe(found, unit)}; pass {hint}")
    leads = {b.leads for b in batches}
    if len(leads) > 1:
        raise SynthECGError(f"{where}: records have different leads: "
                            + "; ".join(",".join(l) for l in sorted(leads)) + "; pass leads=[...]")
    if len({b.units for b in batches}) > 1:
        batches = [b.to_units("mV") for b in batches]
    return batches


def iter_folder(folder: Path, read_one: Callable[[Path], ECGBatch], batch_size: int,
                fs: float | None, length: int | None) -> Iterator[ECGBatch]:
    """Batches of at most ``batch_size`` ECGs read from the folder's record files; every
    batch has the rate and length of the first (else SynthECGError)."""
    files = record_files(folder)
    first = None
    pending: list[ECGBatch] = []
    count = 0

    def flush() -> ECGBatch:
        nonlocal first
        batch = ECGBatch.concat(harmonise(pending, folder, fs, length))
        if first is None:
            first = batch
        elif (batch.fs, batch.n_samples, batch.leads) != (first.fs, first.n_samples, first.leads):
            raise SynthECGError(f"{folder}: records differ ({first.fs:g} Hz x {first.n_samples} "
                                f"samples, then {batch.fs:g} Hz x {batch.n_samples}); "
                                "pass fs=... and length=...")
        elif batch.units != first.units:
            batch = batch.to_units(first.units)
        return batch

    for path in files:
        one = read_one(path)
        pending.append(one)
        count += len(one)
        if count >= batch_size:
            yield flush()
            pending, count = [], 0
    if pending:
        yield flush()
