"""Fixtures for the evaluation's input stage, report and CLI tests.

Real ECGs: LUDB records from ../shared/data (500 Hz, 12 leads, 10 s). Synthetic: 40 ECGs of the
built-in generator, made once per session. ``standin_metrics`` replaces the metric functions by
the stand-ins of ``_standins.py`` (orchestrator, report and CLI tested on their own).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import synthecg.io as sio
from synthecg import ECGBatch

from _standins import standin_diversity, standin_fidelity, standin_privacy

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LUDB = DATA / "ludb" / "data"


def ludb_batch(start: int, n: int) -> ECGBatch:
    if not LUDB.is_dir():
        pytest.skip(f"shared data missing: {LUDB}")
    names = sorted((p for p in LUDB.glob("*.hea")), key=lambda p: int(p.stem))[start:start + n]
    return ECGBatch.concat([sio.read(p) for p in names]).to_units("uV")


@pytest.fixture(scope="session")
def real_train() -> ECGBatch:
    return ludb_batch(0, 30)


@pytest.fixture(scope="session")
def real_holdout() -> ECGBatch:
    return ludb_batch(30, 15)


@pytest.fixture(scope="session")
def synthetic() -> ECGBatch:
    import synthecg

    return synthecg.generate(40, seed=0, progress=False) if "progress" in \
        synthecg.generate.__code__.co_varnames else synthecg.generate(40, seed=0)


@pytest.fixture
def standin_metrics(monkeypatch):
    """The stand-in metric functions, always (tests of the orchestrator and report alone)."""
    import synthecg.evaluate.evaluation as evaluation

    monkeypatch.setattr(evaluation, "_metric_functions",
                        lambda: (standin_fidelity, standin_diversity, standin_privacy))
    return evaluation


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("SYNTHECG_CACHE_DIR", str(folder))
    return folder
