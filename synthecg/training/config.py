"""The training configuration: one dataclass, overridden by a TOML file and then by CLI options.

Resolution order (later wins): the defaults below (the DeepFake-ECG paper's WGAN-GP settings),
a TOML file (``--config FILE``; top-level keys are :class:`TrainConfig` fields, a ``[data]``
table holds :class:`~synthecg.data.DataConfig` fields), then command-line options. Unknown
keys are refused with one line, so a typo never silently trains with a default. The resolved
config is saved as ``RUN_DIR/config.json``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data.dataset import DataConfig
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8

MODELS = ("pulse2pulse", "wavegan")
CONFIG_FORMAT = "synthecg.train-config"

# Fields that define *what* is trained: a run may only be resumed with the same values.
# The rest (how long, how often to log, where) may change between a run and its resumption.
IDENTITY_FIELDS = ("model", "model_size", "min_width", "batch_size", "lr", "critic_lr", "betas",
                   "n_critic", "gp_lambda", "seed", "ema", "amp", "eval_samples", "augment_shift",
                   "phase_shuffle")
IDENTITY_DATA_FIELDS = ("fs", "length", "leads", "scale_uv", "mu_law", "highpass_hz", "filter",
                        "holdout_fraction", "seed")


@dataclass
class TrainConfig:
    """Everything a training run is configured by (defaults: the paper's WGAN-GP).

    model : "pulse2pulse" (U-Net generator) or "wavegan" (WaveGAN*).
    model_size : network width d (50 in the paper; 4-16 for CPU runs and tests).
    min_width : floor on the generator's hidden widths (1 = the paper's widths;
        configs/cpu-small.toml uses 16; see :class:`~synthecg.models.ECGModelConfig`).
    data : what to train on (path, fs, length in samples, leads, µV scale, label filter, holdout).
    steps : generator steps to train for (each after ``n_critic`` critic steps); or
    epochs : passes over the training records (critic batches), converted to steps; give one.
    batch_size : ECGs per critic/generator batch, the *global* batch: under torchrun each of P
        processes takes batch_size / P, so the mathematics do not depend on P.
    lr, betas : Adam settings for both networks.
    critic_lr : the critic's own learning rate (None = ``lr``). A faster critic with fewer
        critic steps per generator step (e.g. 8e-4 / 2e-4 with ``n_critic = 1``) is the two
        time-scale update rule (TTUR, Heusel et al. 2017): about n_critic times more generator
        steps in the same time, larger critic steps in place of more of them.
    n_critic : critic steps per generator step.
    gp_lambda : gradient-penalty weight λ.
    seed : every random draw derives from (seed, step, role, sample index).
    checkpoint_every, sample_every, eval_every, log_every : in generator steps (0 = never;
        a checkpoint is always written at the end and on SIGTERM/Ctrl-C).
    eval_samples : ECGs generated for the fidelity proxy (fixed noise).
    patience : stop after this many evaluations without a better fidelity proxy (0 = never).
    time_limit : stop (with a checkpoint) after this many minutes of this invocation (None = no
        limit; a scheduler's wall-time or a fixed CPU budget).
    ema : decay of an exponential moving average of the generator weights (0 = off; e.g.
        0.999); when on, the saved generator (last.pt, best.pt) is the average.
    augment_shift : differentiable augmentation for small datasets (0 = off): real and generated
        ECGs are circularly shifted in time by up to this fraction of the window, independently
        per ECG, whenever the critic sees them (see :mod:`synthecg.training.augment`; 0.125 is
        DiffAugment's translation range).
    phase_shuffle : the critic's phase-shuffle range in samples (WaveGAN's; 2 in the paper,
        0 = off). Each critic layer's output is shifted by up to this many samples, so the
        critic cannot key on the exact sample phase of the generator's upsampling; it also
        blurs what the critic sees of fine detail (docs/training.md, "Small models on CPU").
    amp : "bf16" for bfloat16 autocast on CUDA ("none" otherwise; ignored on CPU).
    device : "cpu", "cuda" or "cuda:K"; None = CUDA when available (LOCAL_RANK under torchrun).
    num_workers : DataLoader worker processes (None = 2 on CUDA, 0 on CPU).
    """

    model: str = "pulse2pulse"
    model_size: int = 50
    min_width: int = 1
    data: DataConfig = field(default_factory=lambda: DataConfig(path=""))
    steps: int | None = None
    epochs: float | None = None
    batch_size: int = 32
    lr: float = 1e-4
    critic_lr: float | None = None
    betas: tuple[float, float] = (0.5, 0.9)
    n_critic: int = 5
    gp_lambda: float = 10.0
    seed: int = 0
    checkpoint_every: int = 500
    sample_every: int = 500
    eval_every: int = 500
    log_every: int = 10
    eval_samples: int = 64
    patience: int = 0
    time_limit: float | None = None
    ema: float = 0.0
    augment_shift: float = 0.0
    phase_shuffle: int = 2
    amp: str = "none"
    device: str | None = None
    num_workers: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.data, dict):
            self.data = data_config_from_dict(self.data)
        self.betas = tuple(float(b) for b in self.betas)
        self.validate()

    def validate(self) -> None:
        """One-line SynthECGError for the first invalid field."""
        def bad(name: str, why: str) -> SynthECGError:
            return SynthECGError(f"training config: {name} {why}")

        if self.model not in MODELS:
            raise bad("model", f"must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.model_size < 5:
            raise bad("model_size", f"must be at least 5, got {self.model_size}")
        if self.steps is not None and self.epochs is not None:
            raise bad("steps/epochs", "give one of them, not both")
        if self.steps is not None and self.steps < 1:
            raise bad("steps", f"must be positive, got {self.steps}")
        if self.epochs is not None and self.epochs <= 0:
            raise bad("epochs", f"must be positive, got {self.epochs}")
        for name in ("batch_size", "n_critic", "eval_samples"):
            if getattr(self, name) < 1:
                raise bad(name, f"must be positive, got {getattr(self, name)}")
        for name in ("checkpoint_every", "sample_every", "eval_every", "log_every", "patience"):
            if getattr(self, name) < 0:
                raise bad(name, f"must be >= 0, got {getattr(self, name)}")
        if self.lr <= 0 or self.gp_lambda < 0:
            raise bad("lr/gp_lambda", "lr must be positive and gp_lambda >= 0")
        if self.critic_lr is not None and not self.critic_lr > 0:
            raise bad("critic_lr", f"must be positive (or left out: the same as lr), got {self.critic_lr}")
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise bad("betas", f"must be two numbers in [0, 1), got {self.betas}")
        if not 0 <= self.ema < 1:
            raise bad("ema", f"must be 0 (off) or a decay in (0, 1), got {self.ema}")
        if not 0 <= self.augment_shift <= 0.5:
            raise bad("augment_shift", f"must be a fraction of the window in [0, 0.5], got {self.augment_shift}")
        if self.phase_shuffle < 0:
            raise bad("phase_shuffle", f"must be >= 0 samples (0 = off), got {self.phase_shuffle}")
        if self.amp not in ("none", "bf16"):
            raise bad("amp", f"must be 'none' or 'bf16', got {self.amp!r}")
        if self.seed < 0:
            raise bad("seed", f"must be >= 0, got {self.seed}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise bad("time_limit", f"must be a positive number of minutes, got {self.time_limit}")
        if self.num_workers is not None and self.num_workers < 0:
            raise bad("num_workers", f"must be >= 0, got {self.num_workers}")
        if tuple(self.data.leads) != INDEPENDENT_8:
            raise bad("data.leads", "must be the 8 independent leads I, II, V1-V6 (the "
                      "generators and `synthecg generate` produce those)")

    def model_config(self):
        """The generator/critic configuration this run trains (shape taken from the data)."""
        from ..models import Pulse2PulseConfig, WaveGANConfig

        cls = Pulse2PulseConfig if self.model == "pulse2pulse" else WaveGANConfig
        return cls(model_size=self.model_size, min_width=self.min_width,
                   channels=len(self.data.leads), length=int(self.data.length), fs=float(self.data.fs),
                   scale_uv=float(self.data.scale_uv), mu_law=float(self.data.mu_law))

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["betas"] = list(self.betas)
        values["data"]["leads"] = list(self.data.leads)
        return values

    def to_json(self) -> str:
        return json.dumps({"format": CONFIG_FORMAT, "version": 1, **self.to_dict()}, indent=2,
                          sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str = "training config") -> "TrainConfig":
        values = dict(values)
        values.pop("format", None)
        values.pop("version", None)
        _refuse_unknown(cls, values, source)
        if "data" in values:
            if not isinstance(values["data"], dict):
                raise SynthECGError(f"{source}: 'data' must be a table of data settings")
            values["data"] = data_config_from_dict(values["data"], source)
        try:
            return cls(**values)
        except TypeError as exc:
            raise SynthECGError(f"{source}: {exc}") from exc


def _refuse_unknown(cls, values: dict[str, Any], source: str) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SynthECGError(f"{source}: unknown key(s) {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(known))})")


def data_config_from_dict(values: dict[str, Any], source: str = "training config") -> DataConfig:
    values = dict(values)
    _refuse_unknown(DataConfig, values, f"{source} [data]")
    if "leads" in values:
        values["leads"] = tuple(values["leads"])
    if "path" in values and values["path"] is not None:
        values["path"] = str(values["path"])
    try:
        return DataConfig(**{"path": "", **values})
    except TypeError as exc:
        raise SynthECGError(f"{source} [data]: {exc}") from exc


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """The contents of a TOML config file as a dict (one-line error if unreadable)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SynthECGError(f"{path}: config file not found") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SynthECGError(f"{path}: not a readable TOML config ({exc})") from exc


def resolve_config(file: str | os.PathLike | None = None, base: TrainConfig | None = None,
                   **overrides: Any) -> TrainConfig:
    """``base`` (default: the defaults), then the TOML ``file``, then ``overrides``.

    Override keys are TrainConfig fields, or ``data_<field>`` / ``data`` dict for data fields;
    None values are ignored (an option the user did not give).
    """
    values = base.to_dict() if base is not None else TrainConfig(data=DataConfig(path="")).to_dict()
    if file is not None:
        loaded = read_toml(file)
        _refuse_unknown(TrainConfig, loaded, str(file))
        data = loaded.pop("data", {})
        if not isinstance(data, dict):
            raise SynthECGError(f"{file}: 'data' must be a [data] table")
        _refuse_unknown(DataConfig, data, f"{file} [data]")
        values.update(loaded)
        values["data"].update(data)
        if "steps" in loaded and "epochs" not in loaded:
            values["epochs"] = None
        if "epochs" in loaded and "steps" not in loaded:
            values["steps"] = None
    for key, value in overrides.items():
        if value is None:
            continue
        if key.startswith("data_"):
            values["data"][key[5:]] = value
        else:
            values[key] = value
        if key == "steps":
            values["epochs"] = None
        elif key == "epochs":
            values["steps"] = None
    if values["data"].get("path"):
        values["data"]["path"] = str(Path(values["data"]["path"]).expanduser().resolve())
    return TrainConfig.from_dict(values, str(file) if file else "training config")


def identity_differences(stored: TrainConfig, new: TrainConfig) -> list[str]:
    """Names of the fields that make ``new`` a different training than ``stored``."""
    diffs = [name for name in IDENTITY_FIELDS if getattr(stored, name) != getattr(new, name)]
    diffs += [f"data.{name}" for name in IDENTITY_DATA_FIELDS
              if getattr(stored.data, name) != getattr(new.data, name)]
    if Path(stored.data.path or ".").resolve() != Path(new.data.path or ".").resolve():
        diffs.append("data.path")
    return diffs


def configure(out: str | os.PathLike, resume: bool = False, file: str | os.PathLike | None = None,
              **overrides: Any) -> TrainConfig:
    """The config of a ``synthecg train`` invocation: with ``resume``, the run's own
    ``config.json`` is the base (so ``--resume`` alone continues it), then ``file``, then
    ``overrides`` (None = not given)."""
    from .rundir import RunDir  # rundir builds on this module

    run = RunDir(out)
    base = run.read_config() if resume and run.config.is_file() else None
    config = resolve_config(file, base=base, **overrides)
    if not config.data.path:
        raise SynthECGError("--data: give the folder or file of ECGs to train on "
                            "(or data.path in --config)")
    return config
