"""The training run directory: layout, config.json, checkpoints and the training-state file.

```
RUN_DIR/config.json              the resolved TrainConfig
RUN_DIR/records.json             which records were trained on / held out (synthecg.data)
RUN_DIR/checkpoints/last.pt      generator at the latest checkpoint (save_generator format)
RUN_DIR/checkpoints/best.pt      generator with the best fidelity proxy so far
RUN_DIR/checkpoints/state.pt     training state: critic, optimizers, EMA, step, counters
RUN_DIR/metrics.csv              one row per logged step
RUN_DIR/tensorboard/             TensorBoard event files
RUN_DIR/samples/step-NNNNNNN.png sample ECGs on ECG paper, marked SYNTHETIC
```
Every file is written with :func:`synthecg._files.atomic_path`; ``state.pt`` is written before
``last.pt``, so whatever fails, ``state.pt`` is a complete checkpoint that a resume starts from.
The state holds tensors, numbers, strings and containers only (``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any

import torch

from .._files import atomic_path, write_bytes
from ..data.dataset import read_records_file
from ..errors import SynthECGError
from .config import TrainConfig, identity_differences

STATE_FORMAT = "synthecg.training-state"


class RunDir:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.config = self.root / "config.json"
        self.records = self.root / "records.json"
        self.checkpoints = self.root / "checkpoints"
        self.last = self.checkpoints / "last.pt"
        self.best = self.checkpoints / "best.pt"
        self.state = self.checkpoints / "state.pt"
        self.metrics = self.root / "metrics.csv"
        self.tensorboard = self.root / "tensorboard"
        self.samples = self.root / "samples"

    def holds_run(self) -> bool:
        return self.config.is_file() or self.state.is_file()

    def read_config(self) -> TrainConfig:
        try:
            values = json.loads(self.config.read_text())
        except (OSError, ValueError) as exc:
            raise SynthECGError(f"{self.config}: not a readable training config ({exc})") from exc
        return TrainConfig.from_dict(values, str(self.config))

    def write_config(self, config: TrainConfig) -> None:
        write_bytes(self.config, config.to_json().encode(), overwrite=True)

    def prepare(self, config: TrainConfig, resume: bool) -> None:
        """Check that ``config`` may be written here (fresh) or continue the run here (resume)."""
        if self.root.exists() and not self.root.is_dir():
            raise SynthECGError(f"{self.root}: --out is a file, expected a run directory")
        if self.holds_run():
            if not resume:
                raise SynthECGError(f"{self.root}: already holds a training run; pass --resume to "
                                    "continue it or choose another --out")
            if self.config.is_file():
                check_compatible(self.read_config(), config, self.config)
        elif self.root.is_dir() and any(self.root.iterdir()):
            raise SynthECGError(f"{self.root}: exists and is not a training run directory; "
                                "choose an empty or new --out")


    def check_same_records(self, data) -> None:
        """On resume: the data must still yield the records the run was trained and held out
        on (records.json), or the record lists -- which the privacy audit relies on -- would lie."""
        if not self.records.is_file():
            return
        stored = read_records_file(self.root)
        for split in ("train", "holdout"):
            before, now = stored.get(split, []), list(getattr(data, f"{split}_ids"))
            if before != now:
                added, removed = len(set(now) - set(before)), len(set(before) - set(now))
                raise SynthECGError(f"--resume: the data changed since {self.records} was written "
                                    f"({split}: {added} record(s) added, {removed} removed); resume "
                                    "with the same records or start a new run")


def check_compatible(stored: TrainConfig, new: TrainConfig, where: Path) -> None:
    diffs = identity_differences(stored, new)
    if diffs:
        shown = ", ".join(f"{name} {_get(stored, name)!r} -> {_get(new, name)!r}" for name in diffs[:4])
        raise SynthECGError(f"--resume: {where} belongs to another training ({shown}); "
                            "resume with the same settings or choose another --out")


def _get(config: TrainConfig, dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Atomically write the training state (a dict of tensors, numbers, strings, containers)."""
    # Serialised in memory first: torch's zip writer reports a short write on a full disk as
    # a RuntimeError about file positions; a plain write of the bytes raises OSError (ENOSPC,
    # EFBIG), which atomic_path turns into a one-line error with the temporary file removed.
    buffer = io.BytesIO()
    torch.save({"format": STATE_FORMAT, "version": 1, **state}, buffer)
    with atomic_path(path, overwrite=True) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(buffer.getbuffer())


def load_state(path: Path, config: TrainConfig) -> dict[str, Any]:
    """The training state at ``path``, refused unless it was written by a run of ``config``."""
    from ..models.loading import read_weights_file

    state = read_weights_file(path)
    if state.get("format") != STATE_FORMAT:
        raise SynthECGError(f"{path}: not a SynthECG training state (no format '{STATE_FORMAT}')")
    try:
        stored = TrainConfig.from_dict(json.loads(state["config"]), str(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise SynthECGError(f"{path}: training state without a readable config ({exc})") from exc
    check_compatible(stored, config, path)
    if state.get("model_config") != config.model_config().to_dict():
        raise SynthECGError(f"--resume: {path} holds a {state.get('architecture')} model of another "
                            "configuration; resume with the same settings or choose another --out")
    return state


def best_score(state: dict[str, Any] | None) -> float:
    if not state:
        return math.inf
    value = float(state.get("best_score", math.inf))
    return value if math.isfinite(value) else math.inf
