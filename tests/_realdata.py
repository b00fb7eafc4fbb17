"""Paths of the real records in ../shared/data and a wfdb-library reader for tests.

A plain module (not conftest) so any test folder can import it: pytest re-imports every
folder's conftest.py under the one name `conftest`, so `from conftest import ...` would
depend on collection order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synthecg import ECGBatch

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"real test data missing: {path} (the shared data folder sits beside the repo)")
    return path


def wfdb_batch(folder: Path, names: list[str]) -> ECGBatch:
    """Records read by the wfdb library, as an int µV ECGBatch (same fs and length required)."""
    import wfdb

    signals, meta, fs, leads = [], [], None, None
    for name in names:
        record = wfdb.rdrecord(str(folder / name))
        fs, leads = record.fs, record.sig_name
        signals.append(np.rint(record.p_signal.T * 1000.0).astype(np.int32))
        meta.append({"source": name})
    return ECGBatch(signals=np.stack(signals), fs=fs, leads=tuple(leads), units="uV", meta=meta)
