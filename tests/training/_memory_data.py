"""A tiny in-memory stand-in for synthecg.data.TrainingData: synthetic P-QRS-T ECGs, 5 s at 500 Hz."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "measure"))
from _synthetic_beats import synthetic_ecg  # noqa: E402

EIGHT = [0, 1, 6, 7, 8, 9, 10, 11]  # I, II, V1-V6 among the 12 standard leads


class MemoryData:
    def __init__(self, n_train: int = 12, n_holdout: int = 6, length: int = 2500,
                 p_mv: float = 0.15):
        def make(k):
            ecg, _ = synthetic_ecg(seconds=length / 500.0, rr=0.6 + 0.04 * (k % 10), seed=k,
                                   noise_mv=0.01, p_mv=p_mv)
            return torch.from_numpy((ecg[EIGHT] * 1000.0 / 6000.0).astype(np.float32))

        self.train = [make(k) for k in range(n_train)]
        self.holdout = [make(100 + k) for k in range(n_holdout)]
        self.train_ids = [f"train-{k}" for k in range(n_train)]
        self.holdout_ids = [f"holdout-{k}" for k in range(n_holdout)]
        self.skipped = []

    def write_record_lists(self, run_dir):
        path = Path(run_dir) / "records.json"
        # The keys synthecg.data.read_records_file requires; "source" names no real folder.
        path.write_text(json.dumps({"format": "synthecg.records", "version": 1, "source": "memory",
                                    "config": {}, "train": self.train_ids,
                                    "holdout": self.holdout_ids, "skipped": []}))
        return path
