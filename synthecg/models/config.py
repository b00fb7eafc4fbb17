"""Configuration dataclasses shared by the GAN models (plain data: JSON in, JSON out)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, TypeVar

from .._mu_law import mu_law_decode
from ..errors import SynthECGError

T = TypeVar("T", bound="ECGModelConfig")

# Product of the generator's upsampling factors (5*5*5*2*5*2 = 2500): the ECG length must be a
# multiple of it (5000 samples = 10 s at 500 Hz in the paper).
LENGTH_QUANTUM = 2500


@dataclass
class ECGModelConfig:
    """What every ECG GAN in SynthECG is configured by.

    model_size : the width ``d`` of the networks (50 in the DeepFake-ECG paper; 5-10 for tests).
    channels : ECG leads generated (8 = I, II, V1-V6).
    length : samples per lead (5000 = 10 s at ``fs``); a multiple of 2500.
    kernel_size : convolution kernel length (25 in the paper; odd).
    shift_factor : critic phase-shuffle range in samples (2 in the paper; 0 disables it).
    alpha : negative slope of the critic's leaky ReLU.
    fs : sampling rate of the generated ECGs in Hz.
    scale_uv : microvolts per unit of generator output (tanh range [-1, 1] -> ±6000 µV).
    mu_law : μ of the μ-law companding of the output (0 = linear, the paper's): µV =
        scale_uv * decode(output) (:mod:`synthecg._mu_law`; :meth:`to_uv` applies both).
    min_width : floor on the generators' hidden widths (1 = the paper's widths). The paper's
        d / 5 and d / 2 layers are 1-3 and 4-8 channels at d = 8-16: a ReLU layer of 2 channels
        just before the 8 output leads cannot span the three dimensions of the heart's
        electrical axis, and when both units are off the output is a flat line. 8 lifts them.
    """

    model_size: int = 50
    channels: int = 8
    length: int = 5000
    kernel_size: int = 25
    shift_factor: int = 2
    alpha: float = 0.2
    fs: float = 500.0
    scale_uv: float = 6000.0
    min_width: int = 1
    mu_law: float = 0.0

    def __post_init__(self) -> None:
        name = type(self).__name__
        if self.model_size < 5:
            raise SynthECGError(f"{name}.model_size must be at least 5, got {self.model_size}")
        if self.channels < 1:
            raise SynthECGError(f"{name}.channels must be positive, got {self.channels}")
        if self.length <= 0 or self.length % LENGTH_QUANTUM:
            raise SynthECGError(f"{name}.length must be a positive multiple of {LENGTH_QUANTUM} "
                                f"samples, got {self.length}")
        if self.kernel_size < 3 or self.kernel_size % 2 == 0:
            raise SynthECGError(f"{name}.kernel_size must be odd and at least 3, got {self.kernel_size}")
        if self.shift_factor < 0:
            raise SynthECGError(f"{name}.shift_factor must be >= 0, got {self.shift_factor}")
        if self.min_width < 1:
            raise SynthECGError(f"{name}.min_width must be at least 1, got {self.min_width}")
        if self.fs <= 0 or self.scale_uv <= 0:
            raise SynthECGError(f"{name}: fs and scale_uv must be positive")
        if not (self.mu_law >= 0 and math.isfinite(self.mu_law)):
            raise SynthECGError(f"{name}.mu_law must be >= 0 (0 = linear), got {self.mu_law}")

    def floored(self, widths: tuple[int, ...]) -> tuple[int, ...]:
        """Hidden ``widths`` of a generator, each raised to ``min_width``."""
        return tuple(max(w, self.min_width) for w in widths)

    def to_uv(self, output):
        """Generator output (numpy or torch, any shape) -> µV as floats of the same type."""
        return mu_law_decode(output, self.mu_law) * self.scale_uv

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[T], values: dict[str, Any]) -> T:
        """Build from a dict, refusing unknown keys (a typo must not pass silently)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SynthECGError(f"{cls.__name__}: unknown field(s) {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(known))})")
        return cls(**values)
