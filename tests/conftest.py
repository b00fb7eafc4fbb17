"""Shared fixtures: real records from ../shared/data (read with the wfdb library) and models."""

from __future__ import annotations


import pytest

from synthecg import ECGBatch

from _realdata import ROOT, SHARED_DATA, shared, wfdb_batch  # noqa: F401  (re-exported)


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
