"""Fixtures for the evaluation's input stage, report and CLI tests.

Real ECGs: LUDB records from ../shared/data (500 Hz, 12 leads, 10 s). Synthetic: 40 ECGs of the
built-in generator, made once per session. ``standin_metrics`` replaces the metric functions by
small stand-ins with the agreed signatures where the metric modules are absent, so the
orchestrator, the report and the CLI are tested on their own; the stand-ins' privacy verdict is
"fail" exactly when a synthetic ECG equals a training ECG, which makes the gate testable.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthecg.io as sio
from synthecg import ECGBatch

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
LUDB = DATA / "ludb" / "data"


def ludb_batch(start: int, n: int) -> ECGBatch:
    if not LUDB.is_dir():
        pytest.skip(f"shared data missing: {LUDB}")
    names = sorted((p for p in LUDB.glob("*.hea")), key=lambda p: int(p.stem))[start:start + n]
    return ECGBatch.concat([sio.read(p) for p in names])


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


@dataclass
class StandinFidelity:
    table: pd.DataFrame

    def to_dict(self):
        return {"table": self.table.to_dict(orient="records")}


@dataclass
class StandinDiversity:
    alarm: bool = False

    def to_dict(self):
        return {"alarm": self.alarm}


@dataclass
class StandinPrivacy:
    verdict: str
    mia_auc: float
    dcr_closer_to_train: float
    copies: list = field(default_factory=list)
    controls: dict = field(default_factory=dict)

    def to_dict(self):
        return {"verdict": self.verdict, "mia_auc": self.mia_auc,
                "dcr_closer_to_train": self.dcr_closer_to_train, "copies": self.copies,
                "controls": self.controls}


def standin_fidelity(real, synthetic, *, real_measurements=None, synthetic_measurements=None, seed=0):
    rows = []
    for column in ("heart_rate", "qrs_duration"):
        r, s = real_measurements[column].to_numpy(float), synthetic_measurements[column].to_numpy(float)
        pooled = np.sqrt((np.nanvar(r) + np.nanvar(s)) / 2) or 1.0
        smd = (np.nanmean(s) - np.nanmean(r)) / pooled
        rows.append({"measurement": column, "real_mean": np.nanmean(r), "synthetic_mean": np.nanmean(s),
                     "smd": smd, "flag": bool(abs(smd) > 0.2)})
    return StandinFidelity(pd.DataFrame(rows))


def standin_diversity(real, synthetic, *, real_measurements=None, synthetic_measurements=None, seed=0):
    return StandinDiversity(alarm=False)


def standin_privacy(real_train, real_holdout, synthetic, *, seed=0):
    train = {x.tobytes(): i for i, x in enumerate(real_train.signals.astype(np.int64))}
    copies = [{"synthetic_index": j, "train_index": train[x.tobytes()], "similarity": 1.0}
              for j, x in enumerate(synthetic.signals.astype(np.int64)) if x.tobytes() in train]
    controls = {"positive_control": {"verdict": "fail", "mia_auc": 0.97, "dcr_closer_to_train": 0.95},
                "negative_control": {"verdict": "pass", "mia_auc": 0.51, "dcr_closer_to_train": 0.5}}
    return StandinPrivacy("fail" if copies else "pass", 0.9 if copies else 0.5,
                          0.9 if copies else 0.5, copies, controls)


def _module_exists(name: str) -> bool:
    return importlib.util.find_spec(f"synthecg.evaluate.{name}") is not None


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
