"""Pulse2Pulse (DeepFake-ECG, Thambawita et al. 2021): a 1-D U-Net GAN for 8-lead ECGs.

The generator maps noise of ECG shape (8 x 5000, uniform in [-1, 1]) to an ECG: six strided
convolutions encode it (strides 2, 5, 2, 5, 5, 5; widths d/5, d/2, d, 3d, 5d, 5d), six
upsampling convolutions decode it (x5, x5, x5, x2, x5, x2), each of the middle four also reading
the encoder output of the same length (skip connection), and tanh bounds the result to [-1, 1]
(x 6000 = µV). The critic is WaveGAN's (see :class:`~synthecg.models.layers.WaveGANCriticBody`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import SynthECGError
from .config import ECGModelConfig
from .layers import (he_normal_, Conv1dRows, UpsampleConv1d, WaveGANCriticBody, from_channels_last,
                     to_channels_last)

ENCODER_STRIDES = (2, 5, 2, 5, 5, 5)
DECODER_SCALES = (5, 5, 5, 2, 5, 2)


@dataclass
class Pulse2PulseConfig(ECGModelConfig):
    """Pulse2Pulse hyper-parameters; the defaults are the paper's (d = 50, 8 x 5000)."""


def _widths(d: int) -> tuple[int, ...]:
    # The reference computes d/5 with int(d / 5) in places and d // 5 in others: same for d > 0.
    return (d // 5, d // 2, d, 3 * d, 5 * d, 5 * d)


class Pulse2PulseGenerator(nn.Module):
    """Noise (batch, channels, length) in [-1, 1] -> ECG (batch, channels, length) in [-1, 1]."""

    def __init__(self, config: Pulse2PulseConfig | None = None):
        super().__init__()
        self.config = config = config or Pulse2PulseConfig()
        k, widths = config.kernel_size, config.floored(_widths(config.model_size))
        pad = k // 2
        ins = (config.channels,) + widths[:-1]
        self.down = nn.ModuleList(Conv1dRows(c_in, c_out, k, stride=s, padding=pad)
                                  for c_in, c_out, s in zip(ins, widths, ENCODER_STRIDES))
        # Decoder step i reads the previous step and, for i = 1..4, the encoder output of the
        # same length (widths[4 - i]); the last step has no skip connection.
        outs = (widths[5], widths[3], widths[2], widths[1], widths[0], config.channels)
        skips = (0, widths[4], widths[3], widths[2], widths[1], 0)
        prev = (widths[5],) + outs[:-1]
        self.up = nn.ModuleList(UpsampleConv1d(p + s, o, k, scale)
                                for p, s, o, scale in zip(prev, skips, outs, DECODER_SCALES))
        he_normal_(self)

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Shape of one noise sample (excluding the batch axis)."""
        return (self.config.channels, self.config.length)

    def forward(self, noise: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            raise SynthECGError("Pulse2PulseGenerator is unconditional: labels must be None")
        skips, x = [], to_channels_last(noise)
        for conv in self.down:
            x = F.leaky_relu(conv(x), inplace=True)  # slope 0.01, as the reference encoder
            skips.append(x)
        # skips[5] is the bottleneck itself; decoder steps 1..4 read skips[4], [3], [2], [1].
        x = F.relu(self.up[0](x), inplace=True)
        for i in range(1, 5):
            x = F.relu(self.up[i](torch.cat([x, skips[5 - i]], dim=1)), inplace=True)
        return from_channels_last(torch.tanh(self.up[5](x)))


class Pulse2PulseCritic(WaveGANCriticBody):
    """ECG (batch, channels, length) -> Wasserstein critic score (batch, 1)."""

    def __init__(self, config: Pulse2PulseConfig | None = None):
        super().__init__(config or Pulse2PulseConfig())
