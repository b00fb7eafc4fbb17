"""Exact, fast CPU training kernels for 1-D convolutions (WGAN-GP ready).

PyTorch's CPU (oneDNN) backward for the critic's long-kernel, strided 1-D convolutions is slow
where the output is short (the weight gradient of the 1250 -> 5000-channel layer at 5 output
samples took 85 s at batch 8 on 2 cores, against 0.3 s as one matrix product) and, with 2
threads, its float32 input gradient is *wrong* for some of the critic's stride-4 layers
(relative error 0.2-0.6 against float64; correct with 1 thread): see docs/training-speed.md.

A convolution and its two derivatives form a closed set of three linear maps:

* ``conv(x, W)``        y[b,o,t]   = sum_{i,k} W[o,i,k] x[b,i,s t + k]
* ``conv_t(g, W)``      x'[b,i,p]  = sum_{o,t,k: s t + k = p} W[o,i,k] g[b,o,t]
* ``weight_grad(x, g)`` W'[o,i,k]  = sum_{b,t} g[b,o,t] x[b,i,s t + k]

Each is bilinear, and the derivative of each with respect to either argument is again one of
the three (see the ``backward`` methods), so three autograd Functions whose backward passes call
each other are differentiable any number of times: the gradient penalty's double backward runs
on these kernels too. Every kernel is a matrix product over an im2col matrix (``unfold``: rows
(sample, output position), columns (input channel, tap)), the weight in its own memory order
(no copy of the 625 MB weight), computed in chunks of whole samples so that the im2col matrix
stays below :data:`CHUNK_ELEMENTS`; the forward pass of long outputs uses oneDNN's forward
convolution, which is fast and correct there. Results equal PyTorch's up to float summation
order.

:func:`conv1d` and :func:`leaky_relu` are used automatically by the models when gradients are
needed on CPU (:func:`wanted`); inference keeps PyTorch's own kernels, so generated ECGs are
unchanged. :func:`torch_kernels` switches the fast path off (tests compare against it).
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F

# im2col matrices (and the columns of conv_t) are built for at most this many elements at a
# time (64 MB in float32): at batch 32 the 250 -> 500 layer's full im2col would be 250 MB.
CHUNK_ELEMENTS = 1 << 24

# Output lengths from which oneDNN's kernels beat im2col + matrix products, for all three maps
# (forward convolution, transposed convolution, weight gradient). Measured on the critic's layers
# at d = 8 (batch 48) and d = 50 (batch 24): the stride-2 layers with 2499..311 output samples
# are 1.5-10x faster native; the stride-4 layers with 78..5 samples are faster as GEMMs, and
# there oneDNN's float32 transposed convolution is also wrong (relative error up to 5e-2).
NATIVE_MIN_LENGTH = 200

_enabled = True


def wanted(x: torch.Tensor, *params: torch.Tensor) -> bool:
    """Whether the fast training kernels should run for input ``x``: autograd is recording,
    the tensors live on the CPU and some of them require a gradient."""
    if not _enabled or not torch.is_grad_enabled() or x.device.type != "cpu":
        return False
    return x.requires_grad or any(p is not None and p.requires_grad for p in params)


@contextlib.contextmanager
def torch_kernels():
    """Within this block the models use PyTorch's own convolution kernels (for comparisons)."""
    global _enabled
    previous, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = previous


def _output_length(length: int, taps: int, stride: int) -> int:
    return (length - taps) // stride + 1


def _chunks(batch: int, per_sample: int):
    """Slices of whole samples whose im2col matrices hold at most CHUNK_ELEMENTS values."""
    step = max(1, CHUNK_ELEMENTS // max(per_sample, 1))
    return [slice(b, min(b + step, batch)) for b in range(0, batch, step)]


def _im2col(x: torch.Tensor, taps: int, stride: int, length: int) -> torch.Tensor:
    """(b, c, n) -> (b * length, c * taps): row (sample, t) holds x[sample, :, s t : s t + taps]."""
    batch, channels = x.shape[:2]
    return x.unfold(2, taps, stride)[:, :, :length].permute(0, 2, 1, 3).reshape(batch * length, channels * taps)


def _rows(g: torch.Tensor) -> torch.Tensor:
    """(b, c, n) -> (b * n, c)."""
    return g.permute(0, 2, 1).reshape(-1, g.shape[1])


def _conv_kernel(x: torch.Tensor, weight: torch.Tensor, stride: int) -> torch.Tensor:
    batch, c_in, n = x.shape
    c_out, _, taps = weight.shape
    length = _output_length(n, taps, stride)
    if length >= NATIVE_MIN_LENGTH:
        return F.conv1d(x, weight, stride=stride)
    w2 = weight.reshape(c_out, c_in * taps)
    out = x.new_empty(batch, c_out, length)
    for part in _chunks(batch, length * c_in * taps):
        y = _im2col(x[part], taps, stride, length) @ w2.t()
        out[part] = y.view(-1, length, c_out).permute(0, 2, 1)
    return out


def _conv_t_kernel(g: torch.Tensor, weight: torch.Tensor, stride: int, n: int) -> torch.Tensor:
    batch, c_out, length = g.shape
    _, c_in, taps = weight.shape
    if length >= NATIVE_MIN_LENGTH:
        # The input samples past the last window get no gradient: output_padding adds them.
        return F.conv_transpose1d(g, weight, stride=stride, output_padding=n - (length - 1) * stride - taps)
    w2 = weight.reshape(c_out, c_in * taps)
    parts = []
    for part in _chunks(batch, length * c_in * taps):
        columns = (_rows(g[part]) @ w2).view(-1, length, c_in, taps).permute(0, 2, 1, 3)
        # unfold_backward is col2im: it adds each window back onto the samples it came from.
        parts.append(torch.ops.aten.unfold_backward(columns, (columns.shape[0], c_in, n), 2, taps, stride))
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def _weight_grad_kernel(x: torch.Tensor, g: torch.Tensor, stride: int, taps: int) -> torch.Tensor:
    batch, c_in, _ = x.shape
    c_out, length = g.shape[1:]
    if length >= NATIVE_MIN_LENGTH:
        shape_only = x.new_empty(c_out, c_in, taps)  # read for its shape, never for its values
        return torch.ops.aten.convolution_backward(g, x, shape_only, None, [stride], [0], [1], False, [0], 1,
                                                   [False, True, False])[1]
    out = x.new_empty(c_out, c_in * taps)
    for index, part in enumerate(_chunks(batch, length * c_in * taps)):
        columns = _im2col(x[part], taps, stride, length)
        if index == 0:
            torch.mm(_rows(g[part]).t(), columns, out=out)
        else:
            out.addmm_(_rows(g[part]).t(), columns)
    return out.view(c_out, c_in, taps)


def _engine_wants(t: torch.Tensor) -> bool:
    """Whether the running backward pass needs a gradient for ``t``.

    ``ctx.needs_input_grad`` only says that ``t`` requires a gradient; the gradient penalty's
    ``autograd.grad(score, x, create_graph=True)`` wants the input's alone, and computing the
    625 MB weight gradient it throws away would cost as much as the rest of that pass.
    """
    try:
        node = torch.autograd.graph.get_gradient_edge(t).node
        return bool(torch._C._will_engine_execute_node(node))
    except (RuntimeError, AttributeError):  # no such API, or not inside a graph task
        return True


class _Conv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, stride):
        ctx.save_for_backward(x, weight)
        ctx.stride = stride
        return _conv_kernel(x, weight, stride)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        gx = gw = None
        if ctx.needs_input_grad[0] and _engine_wants(x):
            gx = _ConvT.apply(g, weight, ctx.stride, x.shape[-1])
        if ctx.needs_input_grad[1] and _engine_wants(weight):
            gw = _WeightGrad.apply(x, g, ctx.stride, weight.shape[-1])
        return gx, gw, None


class _ConvT(torch.autograd.Function):
    @staticmethod
    def forward(ctx, g, weight, stride, n):
        ctx.save_for_backward(g, weight)
        ctx.stride = stride
        return _conv_t_kernel(g, weight, stride, n)

    @staticmethod
    def backward(ctx, gz):
        g, weight = ctx.saved_tensors
        gg = gw = None
        if ctx.needs_input_grad[0] and _engine_wants(g):
            gg = _Conv.apply(gz, weight, ctx.stride)
        if ctx.needs_input_grad[1] and _engine_wants(weight):
            gw = _WeightGrad.apply(gz, g, ctx.stride, weight.shape[-1])
        return gg, gw, None, None


class _WeightGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, g, stride, taps):
        ctx.save_for_backward(x, g)
        ctx.stride = stride
        return _weight_grad_kernel(x, g, stride, taps)

    @staticmethod
    def backward(ctx, gw):
        x, g = ctx.saved_tensors
        gx = gg = None
        if ctx.needs_input_grad[0] and _engine_wants(x):
            gx = _ConvT.apply(g, gw, ctx.stride, x.shape[-1])
        if ctx.needs_input_grad[1] and _engine_wants(g):
            gg = _Conv.apply(x, gw, ctx.stride)
        return gx, gg, None, None


def conv1d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0) -> torch.Tensor:
    """``F.conv1d(x, weight, bias, stride, padding)`` (zero padding, no dilation or groups) on
    the kernels above: (batch, c_in, n) -> (batch, c_out, (n + 2 padding - taps) // stride + 1)."""
    if padding:
        x = F.pad(x, (padding, padding))
    y = _Conv.apply(x, weight, stride)
    return y if bias is None else y + bias[:, None]


class _LeakyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, slope):
        y = F.leaky_relu(x, slope)
        ctx.save_for_backward(y > 0)
        ctx.slope = slope
        return y

    @staticmethod
    def backward(ctx, g):
        (positive,) = ctx.saved_tensors
        # As torch's leaky_relu_backward, but the mask is a constant: torch's version also
        # differentiates it (a zero gradient), which in the gradient penalty's double backward
        # sends zeros back through every convolution of the forward pass.
        return torch.where(positive, g, g * ctx.slope), None


def leaky_relu(x: torch.Tensor, slope: float) -> torch.Tensor:
    """``F.leaky_relu(x, slope)`` with a derivative that is linear in the incoming gradient only."""
    return _LeakyReLU.apply(x, slope)
