"""Stand-ins for the metric functions with the agreed signatures (fidelity, diversity,
privacy_audit), so the orchestrator, report and CLI are tested on their own. The privacy
stand-in's verdict is "fail" exactly when a synthetic ECG equals a training ECG (then it lists
those copies); the fidelity stand-in flags heart rate / QRS when |SMD| > 0.2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


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
