"""Benchmark: full-size (model_size 50, 8 x 5000) WGAN-GP training steps on CPU, ours against
deepfake-ecg's plain-PyTorch ``Pulse2pulseDiscriminator`` / ``Pulse2pulseGenerator``.

What is measured, in one run, with torch threads = CPU cores:

* **Critic step** (batch 8), the reference training loop's: ``D(real).mean()`` backward with
  -1, ``D(fake).mean()`` backward with +1, then the gradient penalty (lambda = 10) on random
  interpolates: ``autograd.grad(D(x), x, create_graph=True)``, penalty backward (double
  backward). ``fake`` is a fixed tensor (the generator's forward pass is not part of it); the
  optimizer step is not timed (it is the same Adam update for both). Both critics hold the same
  weights and run phase shuffle (shift 2).
* **Generator step** (batch 8): ``-D(G(z)).mean()`` backward into G's parameters (critic
  parameters frozen), our Pulse2Pulse generator + critic against the reference pair, with the
  published DeepFake-ECG generator weights in both.
* **Gradient check** (phase shuffle off, batch ``--check-batch``): every parameter gradient of a
  critic step and of a generator step, ours and the reference's, in float32, against the
  reference computed in float64 (PyTorch's float64 CPU convolutions do not use oneDNN), and ours
  in float64 against the same. Relative error = max |difference| / max |float64 gradient| per
  parameter; the worst over parameters is printed.
* **GFLOP/s**: FLOPs counted analytically (2 x multiply-adds of the convolutions the step needs
  mathematically, the same count for both sides; linear layers, activations and the reference
  generator's zero-inserted upsampling are not credited), divided by the step time, as a
  fraction of the fp32 matmul GFLOP/s measured in the same run (2048 x 2048, best of several).
* **Peak RSS** of a fresh process running one of our full-size critic steps at batch 32
  (``ru_maxrss`` of that child, models included).

``python benchmarks/train.py [--quick]``; the last line is
``RESULT critic_step_speedup_vs_reference=<reference seconds / our seconds>``.
The reference's steps take minutes here (its oneDNN weight gradient of the 1250 -> 5000-channel
layer is very slow), so each is timed once; ours after one warm-up. Runtime on 2 cores: with
``--quick --critic-only`` about 3 minutes on a quiet machine; ``--quick`` adds the generator
steps, the float64 gradient check and the RSS child (about 10 minutes quiet, 40 under load).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

import torch

D = 50
LENGTH = 5000
CHANNELS = 8
TAPS = 25

def critic_layers(d: int = D, length: int = LENGTH):
    from synthecg.models.layers import WaveGANCriticBody, conv_output_length

    layers, c_in, n = [], CHANNELS, length
    for width, stride in zip(WaveGANCriticBody.widths, WaveGANCriticBody.strides):
        n = conv_output_length(n, TAPS, stride, 11)
        layers.append((c_in, width * d, n))
        c_in = width * d
    return layers


def critic_step_flops(batch: int) -> float:
    """Convolution FLOPs of one critic step: per layer, real and fake each need a forward pass,
    a weight gradient and (not for the first layer) an input gradient; the penalty needs a
    forward pass, an input gradient, and in the double backward a weight gradient and a
    forward convolution of the incoming second-order gradient. Each costs 2 B c_in c_out K L."""
    total = 0.0
    for index, (c_in, c_out, n) in enumerate(critic_layers()):
        one = 2.0 * batch * c_in * c_out * TAPS * n
        total += one * (2 * (3 if index else 2) + 4)
    return total


def generator_step_flops(batch: int) -> float:
    """Generator step: critic forward + input gradients (7 + 7 passes), generator forward,
    weight gradients and input gradients (not of the noise) at the reference architecture's
    stride-1 decoder convolutions over the upsampled signal."""
    from synthecg.models.pulse2pulse import DECODER_SCALES, ENCODER_STRIDES, _widths

    total = sum(2.0 * batch * c_in * c_out * TAPS * n * 2 for c_in, c_out, n in critic_layers())
    widths, n, c_in = _widths(D), LENGTH, CHANNELS
    for index, (c_out, stride) in enumerate(zip(widths, ENCODER_STRIDES)):
        n //= stride
        total += 2.0 * batch * c_in * c_out * TAPS * n * (3 if index else 2)
        c_in = c_out
    outs = (widths[5], widths[3], widths[2], widths[1], widths[0], CHANNELS)
    skips = (0, widths[4], widths[3], widths[2], widths[1], 0)
    prev = (widths[5],) + outs[:-1]
    for p, s, o, scale in zip(prev, skips, outs, DECODER_SCALES):
        n *= scale
        total += 2.0 * batch * (p + s) * o * TAPS * n * 3
    return total


def matmul_gflops(repeats: int = 5, size: int = 2048) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9


def reference_critic():
    from deepfakeecg.models.pulse2pulse import Pulse2pulseDiscriminator

    return Pulse2pulseDiscriminator(model_size=D)


def our_critic(reference, shift_factor: int = 2):
    from synthecg.models import Pulse2PulseConfig, Pulse2PulseCritic

    critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=D, shift_factor=shift_factor))
    # Same parameters in the same order (tests/models/test_pulse2pulse.py); only names differ.
    critic.load_state_dict(dict(zip(critic.state_dict(), reference.state_dict().values())))
    return critic.train()


def set_shift(reference, ours, shift: int) -> None:
    for module in list(reference.modules()) + list(ours.modules()):
        if hasattr(module, "shift_factor"):
            module.shift_factor = shift


def critic_step(critic, real, fake, alpha) -> None:
    """The reference training loop's critic step (gradients accumulate in .grad)."""
    critic.zero_grad(set_to_none=True)
    critic(real).mean().backward(torch.tensor(-1.0, dtype=real.dtype))
    critic(fake).mean().backward(torch.tensor(1.0, dtype=real.dtype))
    x = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    penalty = 10.0 * ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()


def generator_step(generator, critic, noise) -> None:
    generator.zero_grad(set_to_none=True)
    critic(generator(noise)).mean().neg().backward()


def generators():
    from deepfakeecg.models import Generator

    from synthecg.models import load_generator
    from synthecg.models.loading import deepfake_weights_path

    reference = Generator()
    state = torch.load(deepfake_weights_path(), map_location="cpu", weights_only=True)["stat_dict"]
    reference.load_state_dict(state)
    ours = load_generator("pulse2pulse-deepfake").train()
    ours.requires_grad_(True)
    return reference.train(), ours


def timed(function, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def data(batch: int, dtype=torch.float32, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    real = (torch.rand(batch, CHANNELS, LENGTH, generator=gen) * 2 - 1).to(dtype)
    fake = (torch.rand(batch, CHANNELS, LENGTH, generator=gen) * 2 - 1).to(dtype)
    alpha = torch.rand(batch, 1, 1, generator=gen).to(dtype)
    return real, fake, alpha


def grads(module):
    return [p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
            for p in module.parameters() if p.requires_grad]


def ours_order(reference, ours):
    """The reference generator's parameter gradients, renamed and ordered as ours."""
    from synthecg.models.loading import state_dict_from_deepfake

    named = {name: g for (name, _), g in zip(reference.named_parameters(), grads(reference))}
    mapped = state_dict_from_deepfake(named)
    return [mapped[name] for name, _ in ours.named_parameters()]


def worst_relative_error(grads, truth) -> float:
    return max(((a.double() - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()
               for a, b in zip(grads, truth))


def gradient_check(batch: int) -> dict[str, float]:
    """Relative gradient errors against the float64 reference (phase shuffle off)."""
    out = {}
    torch.manual_seed(1)
    reference = reference_critic()
    ours = our_critic(reference, shift_factor=0)
    set_shift(reference, ours, 0)
    real, fake, alpha = data(batch, torch.float64, seed=2)
    critic_step(reference.double(), real, fake, alpha)
    truth = grads(reference)
    critic_step(ours.double(), real, fake, alpha)
    out["critic ours float64"] = worst_relative_error(grads(ours), truth)
    real, fake, alpha = real.float(), fake.float(), alpha.float()
    critic_step(ours.float(), real, fake, alpha)
    out["critic ours float32"] = worst_relative_error(grads(ours), truth)
    critic_step(reference.float(), real, fake, alpha)
    out["critic reference float32"] = worst_relative_error(grads(reference), truth)

    ref_g, our_g = generators()
    noise = real.double()
    for module in (reference, ours):
        module.requires_grad_(False)
    generator_step(ref_g.double(), reference.double(), noise)
    truth = ours_order(ref_g, our_g)
    generator_step(our_g.double(), ours.double(), noise)
    out["generator ours float64"] = worst_relative_error(grads(our_g), truth)
    generator_step(our_g.float(), ours.float(), noise.float())
    out["generator ours float32"] = worst_relative_error(grads(our_g), truth)
    generator_step(ref_g.float(), reference.float(), noise.float())
    out["generator reference float32"] = worst_relative_error(ours_order(ref_g, our_g), truth)
    return out


def rss_child(batch: int) -> None:
    """One full-size critic step of ours at ``batch``; prints the peak RSS in MiB."""
    from synthecg.models import Pulse2PulseConfig, Pulse2PulseCritic

    torch.set_num_threads(os.cpu_count() or 1)
    critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=D)).train()
    before = peak_rss_mib()
    critic_step(critic, *data(batch))
    print(f"{before:.0f} {peak_rss_mib():.0f}")


def peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it is not inherited across fork + exec
    from a large parent)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a few minutes)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--check-batch", type=int, default=2)
    parser.add_argument("--rss-batch", type=int, default=32)
    parser.add_argument("--critic-only", action="store_true",
                        help="time the critic steps only (no generator step, gradient check, RSS)")
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        return rss_child(args.rss_child)
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    ours_repeats = 2 if args.quick else 4
    print(f"torch {torch.__version__}, {threads} threads, batch {args.batch}, 8 x {LENGTH}, d = {D}")
    peak = matmul_gflops()
    print(f"fp32 matmul: {peak:.1f} GFLOP/s", flush=True)

    torch.manual_seed(0)
    reference = reference_critic()
    ours = our_critic(reference)
    real, fake, alpha = data(args.batch)
    flops = critic_step_flops(args.batch)
    gflops = generator_step_flops(args.batch)
    ref_g, our_g = generators()

    def report(kind, name, t, work):
        print(f"{kind} step  {name:9s}: {t:8.2f} s  {work / t / 1e9:6.1f} GFLOP/s "
              f"= {work / t / 1e9 / peak:5.1%} of matmul  ({work / 1e9:.0f} GFLOP)", flush=True)

    # Ours first (warm-up, then best of a few), then the reference once: its steps take minutes.
    critic_step(ours, real, fake, alpha)
    t_ours = timed(lambda: critic_step(ours, real, fake, alpha), ours_repeats)
    report("critic   ", "ours", t_ours, flops)
    if args.critic_only:
        t_ref = timed(lambda: critic_step(reference, real, fake, alpha), 1)
        report("critic   ", "reference", t_ref, flops)
        print(f"fp32 matmul after: {matmul_gflops():.1f} GFLOP/s", flush=True)
        print(f"RESULT critic_step_speedup_vs_reference={t_ref / t_ours:.2f}")
        return
    frozen = [(p, p.requires_grad) for p in ours.parameters()]
    ours.requires_grad_(False)
    generator_step(our_g, ours, real)
    tg_ours = timed(lambda: generator_step(our_g, ours, real), ours_repeats)
    report("generator", "ours", tg_ours, gflops)
    for p, flag in frozen:
        p.requires_grad_(flag)
    t_ref = timed(lambda: critic_step(reference, real, fake, alpha), 1)
    report("critic   ", "reference", t_ref, flops)
    critic_speedup = t_ref / t_ours
    print(f"critic step speedup: {critic_speedup:.1f}x", flush=True)
    reference.requires_grad_(False)
    tg_ref = timed(lambda: generator_step(ref_g, reference, real), 1)
    report("generator", "reference", tg_ref, gflops)
    print(f"generator step speedup: {tg_ref / tg_ours:.1f}x", flush=True)
    peak_after = matmul_gflops()
    print(f"fp32 matmul after: {peak_after:.1f} GFLOP/s (fractions above use the first; the "
          f"machine's load may have changed)", flush=True)
    del reference, ours, ref_g, our_g

    start = time.perf_counter()
    for name, error in gradient_check(args.check_batch).items():
        print(f"gradient check (batch {args.check_batch}) {name:28s}: worst relative error {error:.1e}",
              flush=True)
    print(f"  ({time.perf_counter() - start:.0f} s)")

    result = subprocess.run([sys.executable, __file__, "--rss-child", str(args.rss_batch)],
                            capture_output=True, text=True, check=True)
    before, after = result.stdout.split()
    print(f"peak RSS, one critic step of ours at batch {args.rss_batch}: {after} MiB "
          f"({before} MiB after building the models)")
    print(f"RESULT critic_step_speedup_vs_reference={critic_speedup:.2f}")


if __name__ == "__main__":
    main()
