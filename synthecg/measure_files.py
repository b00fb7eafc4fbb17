"""Measure every ECG readable by :mod:`synthecg.io` into one CSV, streaming in batches."""

from __future__ import annotations

import os
from pathlib import Path

from . import io as ecg_io
from ._files import atomic_path
from ._progress import progress_bar
from .measure import measure


def measure_to_csv(path: str | os.PathLike, out: str | os.PathLike, batch_size: int = 256,
                   overwrite: bool = False, progress: bool | None = None) -> int:
    """Measure the ECGs in ``path`` (file or folder) into the CSV ``out``; returns the row count.

    Batches come from ``synthecg.io.iter_records`` (bounded memory; record folders whose records
    differ in rate or length are measured record by record); each row starts with
    ``source`` (the record's name from its metadata, else ``PATH#index``). Written atomically.
    """
    path, n = Path(path), 0
    with atomic_path(out, overwrite=overwrite) as tmp, open(tmp, "w", newline="") as fh, \
            progress_bar(None, "measuring", unit="ECG", enabled=progress) as bar:
        for batch in ecg_io.iter_records(path, batch_size=batch_size):
            table = measure(batch)
            table.insert(0, "source", [str(m.get("source", f"{path.name}#{n + i}"))
                                       for i, m in enumerate(batch.meta)])
            table.to_csv(fh, header=(n == 0), index=False, float_format="%.6g")
            n += len(batch)
            bar.update(len(batch))
    return n
