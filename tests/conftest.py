"""Shared fixtures: real records from ../shared/data (read with the wfdb library) and models."""

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


@pytest.fixture(scope="session")
def cinc2021() -> ECGBatch:
    folder = shared("cinc2021-samples")
    names = sorted(p.stem for p in folder.glob("*.hea"))[:12]
    return wfdb_batch(folder, names)


@pytest.fixture(scope="session")
def deepfake_model():
    from synthecg.models import load_generator

    return load_generator("pulse2pulse-deepfake")


@pytest.fixture(scope="session")
def reference_generator():
    """deepfake-ecg's own Generator with the published weights (tests only)."""
    import torch
    from deepfakeecg.models import Generator

    from synthecg.models.loading import deepfake_weights_path

    model = Generator()
    data = torch.load(deepfake_weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(data["stat_dict"])
    return model.eval()
