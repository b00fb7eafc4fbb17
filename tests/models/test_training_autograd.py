"""The fast CPU training kernels (synthecg.models.conv_autograd) against PyTorch's own autograd:
values, first derivatives, and the double backward of a WGAN gradient penalty."""

import pytest
import torch
import torch.nn.functional as F

from synthecg.models import (Pulse2PulseConfig, Pulse2PulseCritic, Pulse2PulseGenerator,
                             WaveGANConfig, WaveGANCritic, WaveGANGenerator, conv_autograd)

TOL = {torch.float64: dict(rtol=1e-9, atol=1e-11), torch.float32: dict(rtol=2e-4, atol=2e-5)}
SHAPES = [  # batch, c_in, c_out, n, taps, stride, padding
    (2, 3, 4, 41, 5, 2, 2), (3, 2, 5, 50, 25, 4, 11), (2, 4, 3, 9, 7, 4, 3), (1, 3, 2, 30, 5, 1, 0)]


def _penalty(score, x):
    """The WGAN-GP term lambda * (||d score / d x|| - 1)^2 with lambda = 10."""
    (g,) = torch.autograd.grad(score.sum(), x, create_graph=True)
    return 10 * ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_conv1d_values_gradients_and_penalty_gradients_equal_torch(shape, dtype):
    batch, c_in, c_out, n, taps, stride, padding = shape
    gen = torch.Generator().manual_seed(sum(shape))
    x = torch.randn(batch, c_in, n, generator=gen, dtype=dtype)
    weight = torch.randn(c_out, c_in, taps, generator=gen, dtype=dtype).requires_grad_()
    bias = torch.randn(c_out, generator=gen, dtype=dtype).requires_grad_()
    g = torch.randn(batch, c_out, (n + 2 * padding - taps) // stride + 1, generator=gen, dtype=dtype)
    results = []
    for conv in (conv_autograd.conv1d, F.conv1d):
        xi = x.clone().requires_grad_()
        y = conv(xi, weight, bias, stride, padding)
        grads = torch.autograd.grad((y * g).sum(), (xi, weight, bias))
        # Gradient penalty of a "critic" x -> sum(leaky_relu(conv(x)) * g): double backward.
        xi = x.clone().requires_grad_()
        act = conv_autograd.leaky_relu if conv is conv_autograd.conv1d else F.leaky_relu
        penalty = _penalty((act(conv(xi, weight, bias, stride, padding), 0.2) * g).sum(), xi)
        results.append((y, *grads, *torch.autograd.grad(penalty, (weight, bias), allow_unused=True,
                                                                materialize_grads=True)))
    for ours, theirs in zip(*results):
        torch.testing.assert_close(ours, theirs, **TOL[dtype])


def test_gradcheck_and_gradgradcheck_in_float64():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 2, 9, dtype=torch.float64, generator=gen, requires_grad=True)
    weight = torch.randn(2, 2, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    bias = torch.randn(2, dtype=torch.float64, generator=gen, requires_grad=True)
    for stride in (1, 3):
        def f(x, w, b):
            return conv_autograd.conv1d(x, w, b, stride, 1)
        assert torch.autograd.gradcheck(f, (x, weight, bias))
        assert torch.autograd.gradgradcheck(f, (x, weight, bias))


@pytest.mark.parametrize("chunk, native_from", [(1, 10 ** 9), (10 ** 9, 1), (300, 1)])
def test_chunked_and_native_paths_agree(monkeypatch, chunk, native_from):
    """Splitting the im2col matrix over samples, or oneDNN's kernels for long outputs, changes nothing."""
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(5, 3, 60, dtype=torch.float64, generator=gen, requires_grad=True)
    weight = torch.randn(4, 3, 25, dtype=torch.float64, generator=gen, requires_grad=True)

    def run():
        y = conv_autograd.conv1d(x, weight, None, 2, 11)
        penalty = _penalty(conv_autograd.leaky_relu(y, 0.2).square().sum(), x)
        first = torch.autograd.grad(y.square().sum(), (x, weight), retain_graph=True)
        return (y, *first, *torch.autograd.grad(penalty, weight))

    expected = run()
    monkeypatch.setattr(conv_autograd, "CHUNK_ELEMENTS", chunk)
    monkeypatch.setattr(conv_autograd, "NATIVE_MIN_LENGTH", native_from)
    for ours, theirs in zip(run(), expected):
        torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


def _critic_step(critic, real, fake):
    """One WGAN-GP critic step's parameter gradients, as the reference training loop does it."""
    critic.zero_grad(set_to_none=True)
    critic(real).mean().neg().backward()
    critic(fake).mean().backward()
    alpha = torch.linspace(0.1, 0.9, real.shape[0], dtype=real.dtype)[:, None, None]
    interpolated = (alpha * real + (1 - alpha) * fake).requires_grad_()
    _penalty(critic(interpolated), interpolated).backward()
    return [p.grad.clone() for p in critic.parameters()]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("model", ["pulse2pulse", "wavegan"])
def test_critic_step_gradients_equal_torch(model, dtype):
    torch.manual_seed(3)
    config_type, critic_type = ((Pulse2PulseConfig, Pulse2PulseCritic) if model == "pulse2pulse"
                                else (WaveGANConfig, WaveGANCritic))
    critic = critic_type(config_type(model_size=5, length=2500, shift_factor=0)).to(dtype)
    real = torch.rand(2, 8, 2500, dtype=dtype) * 2 - 1
    fake = torch.rand(2, 8, 2500, dtype=dtype) * 2 - 1
    ours = _critic_step(critic, real, fake)
    with conv_autograd.torch_kernels():
        theirs = _critic_step(critic, real, fake)
    tol = dict(rtol=1e-8, atol=1e-10) if dtype == torch.float64 else dict(rtol=1e-3, atol=1e-5)
    for name, a, b in zip([n for n, _ in critic.named_parameters()], ours, theirs):
        torch.testing.assert_close(a, b, **tol, msg=lambda m: f"{name}: {m}")


def test_critic_step_with_phase_shuffle_is_reproducible_and_equal():
    """With the trainer's seeded generator, phase shuffle picks the same shifts on both paths."""
    critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=5, length=2500)).double()
    x = torch.rand(3, 8, 2500, dtype=torch.float64, requires_grad=True)
    results = []
    for use_torch in (False, True):
        with conv_autograd.torch_kernels() if use_torch else torch.enable_grad():
            score = critic(x, generator=torch.Generator().manual_seed(5))
            results.append(torch.autograd.grad(_penalty(score, x), list(critic.parameters()),
                                               allow_unused=True, materialize_grads=True))
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("model", ["pulse2pulse", "wavegan"])
def test_generator_step_gradients_equal_torch(model):
    torch.manual_seed(4)
    if model == "pulse2pulse":
        config = Pulse2PulseConfig(model_size=5, length=2500, shift_factor=0)
        generator, critic = Pulse2PulseGenerator(config), Pulse2PulseCritic(config)
        noise = torch.rand(2, 8, 2500) * 2 - 1
    else:
        config = WaveGANConfig(model_size=5, length=2500, shift_factor=0)
        generator, critic = WaveGANGenerator(config), WaveGANCritic(config)
        noise = torch.rand(2, config.latent_dim) * 2 - 1
    generator, critic = generator.double(), critic.double()
    critic.requires_grad_(False)

    def step():
        generator.zero_grad(set_to_none=True)
        critic(generator(noise.double())).mean().neg().backward()
        return [p.grad.clone() for p in generator.parameters()]

    ours = step()
    with conv_autograd.torch_kernels():
        theirs = step()
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


def test_inference_and_no_grad_use_torch_kernels(monkeypatch):
    critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=5, length=2500)).eval()
    x = torch.rand(2, 8, 2500)
    with torch.no_grad():
        expected = critic(x)

    def fail(*args):
        raise AssertionError("fast kernels used without autograd")

    monkeypatch.setattr(conv_autograd._Conv, "apply", fail)
    with torch.no_grad():
        assert torch.equal(critic(x), expected)
    with torch.inference_mode():
        assert torch.equal(critic(x), expected)
    with pytest.raises(AssertionError, match="fast kernels"):
        critic(x)  # parameters require grad: training path


def test_penalty_first_backward_skips_weight_gradients(monkeypatch):
    """autograd.grad(score, x) must not compute the (large) weight gradients it would discard."""
    calls = []
    kernel = conv_autograd._weight_grad_kernel
    monkeypatch.setattr(conv_autograd, "_weight_grad_kernel", lambda *a: calls.append(1) or kernel(*a))
    critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=5, length=2500, shift_factor=0))
    x = torch.rand(2, 8, 2500, requires_grad=True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    assert calls == []
    g.square().sum().backward()
    assert len(calls) == len(critic.convs)  # the double backward needs each weight's once
