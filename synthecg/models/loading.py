"""Loading generators by name or path, and SynthECG's own checkpoint files.

``load_generator("pulse2pulse-deepfake")`` reads the published DeepFake-ECG Pulse2Pulse weights
from the installed ``deepfake-ecg`` wheel (its file only, never its code); any other argument
is a path to a SynthECG checkpoint file, or a run directory holding ``checkpoints/best.pt`` or
``checkpoints/last.pt``. Every file is read with ``torch.load(..., weights_only=True)``, so a
checkpoint that would run code when unpickled is refused.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._files import atomic_path, sha256_file
from ..errors import SynthECGError
from .pulse2pulse import Pulse2PulseConfig, Pulse2PulseGenerator
from .wavegan import WaveGANConfig, WaveGANGenerator

DEFAULT_MODEL = "pulse2pulse-deepfake"
CHECKPOINT_FORMAT = "synthecg.generator"
ARCHITECTURES: dict[str, tuple[type, type]] = {
    "pulse2pulse": (Pulse2PulseConfig, Pulse2PulseGenerator),
    "wavegan": (WaveGANConfig, WaveGANGenerator),
}
PRETRAINED = (DEFAULT_MODEL,)


def deepfake_weights_path() -> Path:
    """Path of ``deepfakeecg/checkpoints/g_stat.pt`` inside the installed deepfake-ecg wheel."""
    try:
        files = importlib.metadata.files("deepfake-ecg") or []
    except importlib.metadata.PackageNotFoundError:
        raise SynthECGError("model 'pulse2pulse-deepfake': the deepfake-ecg package that ships its "
                            "weights is not installed; run `pip install deepfake-ecg`") from None
    for entry in files:
        if entry.as_posix().endswith("deepfakeecg/checkpoints/g_stat.pt"):
            return Path(entry.locate()).resolve()
    raise SynthECGError("model 'pulse2pulse-deepfake': deepfake-ecg is installed but its "
                        "checkpoints/g_stat.pt is missing; reinstall deepfake-ecg")


def read_weights_file(path: str | os.PathLike) -> dict[str, Any]:
    """``torch.load(path, weights_only=True)`` on CPU, with every failure as a SynthECGError."""
    path = Path(path)
    if not path.is_file():
        raise SynthECGError(f"{path}: checkpoint file not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, ...
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            text = "it holds Python objects that weights_only loading refuses (untrusted pickle)"
        raise SynthECGError(f"{path}: not a readable checkpoint ({text})") from exc
    if not isinstance(data, dict):
        raise SynthECGError(f"{path}: not a checkpoint (expected a dict, found {type(data).__name__})")
    return data


# The published file holds the reference module's state dict: `conv_1..6` (encoder),
# `deconv_1,2,3,5,6,7.conv1d` (decoder) plus parameters its forward pass never uses.
_DEEPFAKE_UNUSED_PREFIXES = ("fc1.", "ppfilter1.")
_DEEPFAKE_DECODER = ("deconv_1", "deconv_2", "deconv_3", "deconv_5", "deconv_6", "deconv_7")


def state_dict_from_deepfake(reference: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map the DeepFake-ECG Pulse2Pulse state dict onto :class:`Pulse2PulseGenerator`'s names."""
    ours: dict[str, torch.Tensor] = {}
    for key, value in reference.items():
        if key.startswith(_DEEPFAKE_UNUSED_PREFIXES) or ".Conv1dTrans." in key:
            continue
        layer, _, rest = key.partition(".")
        if layer.startswith("conv_"):
            ours[f"down.{int(layer[5:]) - 1}.{rest}"] = value
        elif layer in _DEEPFAKE_DECODER and rest.startswith("conv1d."):
            ours[f"up.{_DEEPFAKE_DECODER.index(layer)}.conv.{rest[len('conv1d.'):]}"] = value
        else:
            raise SynthECGError(f"deepfake-ecg weights: unexpected parameter {key!r}")
    return ours


def _load_deepfake() -> tuple[nn.Module, Path]:
    path = deepfake_weights_path()
    data = read_weights_file(path)
    if "stat_dict" not in data:
        raise SynthECGError(f"{path}: no 'stat_dict' entry; not the DeepFake-ECG generator file")
    model = Pulse2PulseGenerator(Pulse2PulseConfig())
    _load_state(model, state_dict_from_deepfake(data["stat_dict"]), path)
    return model, path


def _load_state(model: nn.Module, state: dict[str, torch.Tensor], path: Path) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise SynthECGError(f"{path}: weights do not fit the configured model ({first})") from exc


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint file from a file path or a run directory (best, else last checkpoint)."""
    path = Path(path)
    if path.is_dir():
        for candidate in ("checkpoints/best.pt", "checkpoints/last.pt", "best.pt", "last.pt"):
            if (path / candidate).is_file():
                return path / candidate
        raise SynthECGError(f"{path}: no checkpoints/best.pt or checkpoints/last.pt in this run directory")
    if not path.exists():
        raise SynthECGError(f"model {str(path)!r}: not a known model name ({', '.join(PRETRAINED)}) "
                            "and no such checkpoint file or run directory")
    return path


def _load_checkpoint(path: Path) -> nn.Module:
    data = read_weights_file(path)
    if data.get("format") != CHECKPOINT_FORMAT:
        raise SynthECGError(f"{path}: not a SynthECG generator checkpoint (no format "
                            f"'{CHECKPOINT_FORMAT}')")
    architecture = data.get("architecture")
    if architecture not in ARCHITECTURES:
        raise SynthECGError(f"{path}: unknown architecture {architecture!r} "
                            f"(known: {', '.join(ARCHITECTURES)})")
    config_cls, model_cls = ARCHITECTURES[architecture]
    config = config_cls.from_dict(dict(data.get("config") or {}))
    model = model_cls(config)
    _load_state(model, data.get("generator") or {}, path)
    return model


def load_generator(name_or_path: str | os.PathLike = DEFAULT_MODEL,
                   device: str | torch.device | None = None) -> nn.Module:
    """A generator in eval mode, by name (``"pulse2pulse-deepfake"``) or checkpoint path.

    The module maps noise of shape ``(batch, *model.noise_shape)`` in [-1, 1] to ECGs
    ``(batch, channels, length)`` in [-1, 1]; ``model.config.to_uv(output)`` gives µV (times
    ``scale_uv``, after μ-law decoding for a model trained with ``mu_law``).
    It carries ``model.source`` (name or path) and ``model.weights_sha256``.
    """
    if str(name_or_path) == DEFAULT_MODEL:
        model, weights = _load_deepfake()
        source = DEFAULT_MODEL
    else:
        weights = resolve_checkpoint(name_or_path)
        model = _load_checkpoint(weights)
        source = str(name_or_path)
    model.source = source
    model.weights_sha256 = sha256_file(weights)
    model.eval()
    model.requires_grad_(False)
    if device is not None:
        model.to(device)
    return model


def architecture_of(model: nn.Module) -> str:
    for name, (_, model_cls) in ARCHITECTURES.items():
        if isinstance(model, model_cls):
            return name
    raise SynthECGError(f"no checkpoint architecture for {type(model).__name__}")


def save_generator(model: nn.Module, path: str | os.PathLike, overwrite: bool = False,
                   extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` as a SynthECG generator checkpoint (state dict + config, no pickled code)."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "architecture": architecture_of(model),
        "config": model.config.to_dict(),
        "generator": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **(extra or {}),
    }
    path = Path(path)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as fh:  # a Python file object: a short write (full disk) raises
            torch.save(payload, fh)
    return path
