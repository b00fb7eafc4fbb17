"""Building blocks shared by the WaveGAN* and Pulse2Pulse models."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import conv_autograd
from .config import ECGModelConfig


def he_normal_(model: nn.Module) -> nn.Module:
    """He-normal weights (std sqrt(2 / fan_in)) and zero biases for every convolution and linear
    layer of ``model``.

    PyTorch's default (std 1 / sqrt(3 fan_in)) shrinks the signal's variance about six-fold per
    ReLU layer, so five layers deep the generators' activations are bias alone: each unit is then
    either dead or always on (measured: alive fractions 0.0 or 1.0 in the d / 5-wide layers at
    d = 8-16), and a small model learns nothing. The reference critic is initialised this way; the
    reference generator meant to be (its init loop names ConvTranspose1d, which its upsampling
    variant no longer uses). Zero biases (PyTorch's are uniform in ±1 / sqrt(fan_in)) let every unit
    start active on about half its inputs, which matters in the d / 5-wide layers (1-3 units).
    """
    for layer in model.modules():
        if isinstance(layer, (nn.Conv1d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return model


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


# Multiply-adds per output sample (in_channels x taps) from which exact per-phase tap ranges beat
# one convolution over the union of the ranges: below it, the extra calls and the copy that
# joins their outputs cost more than the zero taps saved (measured on 2 CPU cores: the
# Pulse2Pulse layers with 500 and 300 input channels gain, those with 250 or fewer do not).
_SPLIT_MIN_WORK = 2000


class UpsampleConv1d(nn.Module):
    """Nearest-neighbour upsampling by ``scale``, zero padding ``kernel_size // 2``, then a
    stride-1 convolution: the WaveGAN*/Pulse2Pulse "upsample" layer.

    Computed without materialising the upsampled signal. Output sample ``scale*q + p`` (phase
    ``p``) only sees input samples ``q + j`` for a few offsets ``j``, each through a *sum* of
    original kernel taps, so the layer equals convolutions of the input with ``scale`` short
    phase kernels (6 or 5 taps instead of 25 at scale 5, 13 at scale 2), interleaved. Exact up to
    float summation order, with about ``scale`` times fewer multiply-adds. Phases are convolved
    together over the union of their tap ranges, or, for wide layers, in groups of phases that
    share a range (no zero taps). The parameters are those of the plain convolution
    (``self.conv``), so checkpoints and training are unchanged.

    Input (batch, in_channels, 1, n) channels-last -> (batch, out_channels, 1, scale * n).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, scale: int,
                 split_phases: bool | None = None):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.scale = scale
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size)
        pad = kernel_size // 2
        # Tap k of phase p reads input offset j = floor((p + k - pad) / scale).
        offsets = [[(p + k - pad) // scale for k in range(kernel_size)] for p in range(scale)]
        self.first = min(min(row) for row in offsets)
        taps = max(max(row) for row in offsets) - self.first + 1
        summing = torch.zeros(scale, taps, kernel_size)
        for p, row in enumerate(offsets):
            for k, j in enumerate(row):
                summing[p, j - self.first, k] = 1.0
        self.register_buffer("summing", summing, persistent=False)
        # Tap ranges only grow with p, so phases sharing a range are consecutive.
        ranges = [(min(row), max(row)) for row in offsets]
        if split_phases is None:
            split_phases = in_channels * taps >= _SPLIT_MIN_WORK
        if split_phases:
            self.groups = [(p, p + ranges.count(r), *r) for p, r in enumerate(ranges)
                           if p == 0 or ranges[p - 1] != r]
        else:
            self.groups = [(0, scale, self.first, self.first + taps - 1)]
        self._cache = _InferenceCache()

    def phase_weights(self) -> list[tuple[torch.Tensor, torch.Tensor, int, int]]:
        """Per group of phases: kernels (phases * out_channels, in_channels, 1, taps) in
        channels-last memory, biases, the symmetric padding to convolve with, and the offset of
        the first wanted output sample."""
        weight, bias = self.conv.weight, self.conv.bias

        def compute():
            phases = torch.einsum("oik,pjk->poij", weight, self.summing.to(weight.dtype))
            groups = []
            for p0, p1, lo, hi in self.groups:
                kernels = phases[p0:p1, ..., lo - self.first:hi - self.first + 1]
                kernels = kernels.reshape(-1, weight.shape[1], 1, hi - lo + 1)
                pad = max(-lo, hi)  # symmetric padding; the output is then sliced
                groups.append((kernels.contiguous(memory_format=torch.channels_last),
                               bias.repeat(p1 - p0), pad, lo + pad))
            return groups

        return self._cache.get((weight, bias), compute)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1]
        parts = []
        for weight, bias, pad, offset in self.phase_weights():
            y = F.conv2d(x, weight, bias, padding=(0, pad))
            parts.append(y if y.shape[-1] == n else y[..., offset:offset + n])
        y = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        # Channels are phase-major (p * out + c), so in channels-last memory, where channels
        # vary fastest, the phases of one input sample already sit in output order.
        batch = y.shape[0]
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

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None,
                shifts: torch.Tensor | None = None) -> torch.Tensor:
        """``shifts`` (batch,) integers in [-shift_factor, shift_factor], when given, replace
        the random draw (the trainer draws them per sample index, so a batch split across
        processes shifts each sample as the whole batch in one process would)."""
        n = self.shift_factor
        if n == 0 or not self.training:
            return x
        batch, channels, length = x.shape
        if shifts is None:
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

    def __init__(self, config: ECGModelConfig):
        super().__init__()
        self.config = config
        d, self.alpha = config.model_size, config.alpha
        padding = 11  # as the reference; kernel_size // 2 would change every output length
        convs, n, c_in = [], config.length, config.channels
        for width, stride in zip(self.widths, self.strides):
            convs.append(nn.Conv1d(c_in, width * d, config.kernel_size, stride=stride, padding=padding))
            c_in, n = width * d, conv_output_length(n, config.kernel_size, stride, padding)
        if n < 1:
            raise ValueError(f"length {config.length} is too short for the critic's seven strided convolutions")
        self.convs = nn.ModuleList(convs)
        self.shuffles = nn.ModuleList(PhaseShuffle(config.shift_factor) for _ in range(len(convs) - 1))
        self.fc = nn.Linear(c_in * n, 1)
        he_normal_(self)  # as the reference critic

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None,
                shifts: torch.Tensor | None = None) -> torch.Tensor:
        """``shifts``: optional (len(self.shuffles), batch) phase-shuffle shifts (see PhaseShuffle)."""
        # Training on CPU: the exact reformulated kernels (fast, and double-differentiable for
        # the gradient penalty); inference keeps PyTorch's own.
        fast = conv_autograd.wanted(x, self.convs[0].weight)
        for i, conv in enumerate(self.convs):
            if fast:
                x = conv_autograd.leaky_relu(conv_autograd.conv1d(
                    x, conv.weight, conv.bias, conv.stride[0], conv.padding[0]), self.alpha)
            else:
                x = F.leaky_relu(conv(x), negative_slope=self.alpha)
            if i < len(self.shuffles):
                x = self.shuffles[i](x, generator=generator,
                                     shifts=None if shifts is None else shifts[i])
        return self.fc(x.flatten(1))
