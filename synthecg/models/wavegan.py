"""WaveGAN* (DeepFake-ECG's adaptation of WaveGAN, Donahue et al. 2019) for 8 x 5000 ECGs.

The generator maps a latent vector (100 values, uniform in [-1, 1]) through a linear layer to
5d channels x (length / 2500) samples, then six upsampling convolutions (x5, x5, x5, x2, x5, x2;
widths 5d, 3d, d, d/2, d/5, channels) with ReLU, and tanh. The critic is WaveGAN's: strided
convolutions with phase shuffle (:class:`~synthecg.models.layers.WaveGANCriticBody`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import SynthECGError
from .config import LENGTH_QUANTUM, ECGModelConfig
from .layers import he_normal_, UpsampleConv1d, WaveGANCriticBody, from_channels_last, to_channels_last
from .pulse2pulse import DECODER_SCALES


@dataclass
class WaveGANConfig(ECGModelConfig):
    """WaveGAN* hyper-parameters; ``latent_dim`` is the length of the noise vector."""

    latent_dim: int = 100

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.latent_dim < 1:
            raise SynthECGError(f"WaveGANConfig.latent_dim must be positive, got {self.latent_dim}")


class WaveGANGenerator(nn.Module):
    """Latent (batch, latent_dim) in [-1, 1] -> ECG (batch, channels, length) in [-1, 1]."""

    def __init__(self, config: WaveGANConfig | None = None):
        super().__init__()
        self.config = config = config or WaveGANConfig()
        d, k = config.model_size, config.kernel_size
        self.start_length = config.length // LENGTH_QUANTUM
        self.fc = nn.Linear(config.latent_dim, 5 * d * self.start_length)
        widths = config.floored((5 * d, 5 * d, 3 * d, d, d // 2, d // 5)) + (config.channels,)
        self.up = nn.ModuleList(UpsampleConv1d(c_in, c_out, k, scale)
                                for c_in, c_out, scale in zip(widths[:-1], widths[1:], DECODER_SCALES))
        he_normal_(self)

    @property
    def noise_shape(self) -> tuple[int, ...]:
        return (self.config.latent_dim,)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            raise SynthECGError("WaveGANGenerator is unconditional: labels must be None")
        x = to_channels_last(F.relu(self.fc(noise).view(noise.shape[0], -1, self.start_length)))
        for conv in self.up[:-1]:
            x = F.relu(conv(x), inplace=True)
        return from_channels_last(torch.tanh(self.up[-1](x)))


class WaveGANCritic(WaveGANCriticBody):
    """ECG (batch, channels, length) -> Wasserstein critic score (batch, 1)."""

    def __init__(self, config: WaveGANConfig | None = None):
        super().__init__(config or WaveGANConfig())
