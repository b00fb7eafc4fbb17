"""Building blocks shared by the WaveGAN* and Pulse2Pulse models."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def to_channels_last(x: torch.Tensor) -> torch.Tensor:
    """(batch, channels, n) -> (batch, channels, 1, n) in channels-last memory.

    The generators run their convolutions as 2-D convolutions on channels-last data: on CPU,
    oneDNN's kernels for that layout are 10-40 % faster than for plain 1-D convolutions here,
    and the polyphase interleave of :class:`UpsampleConv1d` becomes a free reshape.
    """
    return x[:, :, None, :].contiguous(memory_format=torch.channels_last)


def from_channels_last(x: torch.Tensor) -> torch.Tensor:
    """(batch, channels, 1, n) -> (batch, channels, n): a view, still channels-last in memory
    (call ``.contiguous()`` if a copy in (batch, channels, n) order is needed)."""
    return x[:, :, 0, :]


class _InferenceCache:
    """Derived weights, recomputed only when a parameter changes (and never under autograd)."""

    def __init__(self):
        self._key = None
        self._value = None

    def get(self, params: tuple[torch.Tensor, ...], compute):
        if torch.is_grad_enabled():  # training: the derivation stays inside autograd
            return compute()
        key = tuple((p.data_ptr(), p._version, p.device, p.dtype) for p in params)
        if key != self._key:
            self._key, self._value = key, compute()
        return self._value


class Conv1dRows(nn.Conv1d):
    """A Conv1d (same parameters and state dict) applied to channels-last (batch, c, 1, n) data."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._cache = _InferenceCache()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self._cache.get((self.weight,), lambda: self.weight[:, :, None, :].contiguous(
            memory_format=torch.channels_last))
        return F.conv2d(x, weight, self.bias, stride=(1, self.stride[0]), padding=(0, self.padding[0]))


class UpsampleConv1d(nn.Module):
    """Nearest-neighbour upsampling by ``scale``, zero padding ``kernel_size // 2``, then a
    stride-1 convolution: the WaveGAN*/Pulse2Pulse "upsample" layer.

    Computed without materialising the upsampled signal. Output sample ``scale*q + p`` only ever
    sees input samples ``q + j`` for a few ``j``, each through a *sum* of original kernel taps, so
    the layer equals one convolution on the input with ``scale`` phase kernels of
    ``ceil(kernel_size / scale) + 1`` taps, followed by interleaving the phases. This is exact up
    to float summation order and needs about ``scale`` times fewer multiply-adds. The parameters
    are those of the plain convolution (``self.conv``), so checkpoints and training are unchanged.

    Input (batch, in_channels, 1, n) channels-last -> (batch, out_channels, 1, scale * n).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, scale: int):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.scale = scale
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size)
        pad = kernel_size // 2
        # Tap k of phase p reads input offset j = floor((p + k - pad) / scale).
        offsets = [[(p + k - pad) // scale for k in range(kernel_size)] for p in range(scale)]
        self.left = -min(min(row) for row in offsets)
        self.right = max(max(row) for row in offsets)
        summing = torch.zeros(scale, self.left + self.right + 1, kernel_size)
        for p, row in enumerate(offsets):
            for k, j in enumerate(row):
                summing[p, j + self.left, k] = 1.0
        self.register_buffer("summing", summing, persistent=False)
        self._cache = _InferenceCache()

    def phase_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Phase kernels (scale * out_channels, in_channels, 1, taps), phase-major, and biases."""
        weight, bias = self.conv.weight, self.conv.bias

        def compute():
            phases = torch.einsum("oik,pjk->poij", weight, self.summing.to(weight.dtype))
            phases = phases.reshape(-1, weight.shape[1], 1, phases.shape[-1])
            return phases.contiguous(memory_format=torch.channels_last), bias.repeat(self.scale)

        return self._cache.get((weight, bias), compute)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self.phase_weights()
        if self.left == self.right:  # odd kernels at scales 2 and 5: let oneDNN pad, no copy
            y = F.conv2d(x, weight, bias, padding=(0, self.left))
        else:
            y = F.conv2d(F.pad(x, (self.left, self.right)), weight, bias)
        batch, _, _, n = y.shape
        # Channels are phase-major (p * out + c), so in channels-last memory, where channels
        # vary fastest, the phases of one input sample already sit in output order.
        y = y.permute(0, 2, 3, 1).reshape(batch, 1, n * self.scale, -1)
        return y.permute(0, 3, 1, 2)

    def reference_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The literal upsample -> pad -> convolve on (batch, c, n) input (tests, documentation)."""
        pad = self.conv.kernel_size[0] // 2
        return self.conv(F.pad(F.interpolate(x, scale_factor=self.scale, mode="nearest"), (pad, pad)))


class PhaseShuffle(nn.Module):
    """Shift each example's feature maps by a random whole number of samples in
    [-shift_factor, shift_factor], filling the edge by reflection (WaveGAN's phase shuffle).

    A critic regulariser: it stops the critic keying on the exact sample phase of upsampling
    artefacts. Identity when ``shift_factor == 0`` or in eval mode. Pass ``generator`` for
    reproducible shifts (the trainer owns the random stream).
    """

    def __init__(self, shift_factor: int):
        super().__init__()
        self.shift_factor = shift_factor

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        n = self.shift_factor
        if n == 0 or not self.training:
            return x
        batch, channels, length = x.shape
        shifts = torch.randint(-n, n + 1, (batch,), generator=generator,
                               device=generator.device if generator is not None else "cpu")
        shifts = shifts.to(x.device)
        padded = F.pad(x, (n, n), mode="reflect")
        # out[t] = padded[n + t - shift]: a right shift by `shift`, reflected at the edges.
        index = (n - shifts)[:, None] + torch.arange(length, device=x.device)[None, :]
        return padded.gather(2, index[:, None, :].expand(batch, channels, length))


def conv_output_length(length: int, kernel_size: int, stride: int, padding: int) -> int:
    """Length of a Conv1d output (no dilation)."""
    return (length + 2 * padding - kernel_size) // stride + 1


class WaveGANCriticBody(nn.Module):
    """The WaveGAN critic, shared verbatim by Pulse2Pulse: seven strided convolutions
    (channels -> d -> 2d -> 5d -> 10d -> 20d -> 25d -> 100d, kernel 25, strides 2,2,2,2,4,4,4,
    padding 11), leaky ReLU, phase shuffle after the first six, then one linear unit.

    Unlike the reference code (whose linear layer is hard-wired to 25,000 inputs, i.e. d = 50),
    the linear layer is sized from the configured length, so any ``model_size`` accepts
    (channels x length) input. At d = 50 the parameters match the reference exactly.
    Input (batch, channels, length) -> critic score (batch, 1).
    """

    widths = (1, 2, 5, 10, 20, 25, 100)
    strides = (2, 2, 2, 2, 4, 4, 4)

    def __init__(self, model_size: int, channels: int, length: int, kernel_size: int = 25,
                 shift_factor: int = 2, alpha: float = 0.2):
        super().__init__()
        self.alpha = alpha
        padding = 11  # as the reference; kernel_size // 2 would change every output length
        convs, n, c_in = [], length, channels
        for width, stride in zip(self.widths, self.strides):
            convs.append(nn.Conv1d(c_in, width * model_size, kernel_size, stride=stride, padding=padding))
            c_in, n = width * model_size, conv_output_length(n, kernel_size, stride, padding)
        if n < 1:
            raise ValueError(f"length {length} is too short for the critic's seven strided convolutions")
        self.convs = nn.ModuleList(convs)
        self.shuffles = nn.ModuleList(PhaseShuffle(shift_factor) for _ in range(len(convs) - 1))
        self.fc = nn.Linear(c_in * n, 1)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            x = F.leaky_relu(conv(x), negative_slope=self.alpha)
            if i < len(self.shuffles):
                x = self.shuffles[i](x, generator=generator)
        return self.fc(x.flatten(1))
