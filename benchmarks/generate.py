"""Benchmark: ``synthecg generate`` against deepfake-ecg's own ``deepfakeecg.generate``.

What is measured, in one run on this machine:

* **End-to-end generation to files, same N, one process.** deepfake-ecg's
  ``deepfakeecg.generate(N, dir)`` (one ECG per forward pass, one ``.asc`` text file per ECG)
  and ours, ``synthecg.generation.generate_to_folder(dir, N, leads=8)`` (what
  ``python -m synthecg generate -n N --leads 8 --format npy`` runs: batched forward passes,
  int16 ``.npy`` shards, fsynced, plus a manifest with checksums). Each timed region runs from
  the call until its files are on disk. Both sides write the same 8 leads (I, II, V1-V6); the
  ratio of the two ECG/s figures is the headline. Our 12-lead output (4 derived leads added) is
  timed too and reported separately.
* **One-off costs, excluded from the timed regions and reported separately.** Import time of
  ``deepfakeecg`` and of ``synthecg.generation`` (each in a fresh Python process, so torch's
  own import is inside both), and weight loading. deepfake-ecg loads its weights inside every
  ``generate()`` call, so that stays in its timed region (users pay it on every call); ours is
  loaded once, outside. Before timing, each side runs a small untimed warm-up in the same
  process (oneDNN builds its kernels on first use). A second ratio with weight loading inside
  both timed regions is printed as well.
* **Bytes per ECG on disk** for each output (shard files only for ours; the manifest is a few kB).
* **Peak RSS** of a fresh ``python -m synthecg generate`` process writing ``--n-rss`` 12-lead
  ECGs (the CLI's default, and the larger output) to disk, read with ``os.wait4`` on that child
  alone (Linux ``ru_maxrss``).
* **Throughput against the machine's FLOP limit.** fp32 GFLOP/s from timed 2048 x 2048 matmuls
  (best of several), divided by the FLOPs one ECG needs, gives a FLOP-limit ECG/s. FLOPs count
  2 x multiply-adds of the convolutions (biases, activations and memory traffic are ignored):
  for the reference architecture, with forward hooks on every ``nn.Conv1d`` deepfake-ecg's
  ``Generator`` runs (its decoder upsamples, then applies a stride-1 25-tap convolution); for
  ours, with hooks on the layers our model actually runs (strided ``Conv1dRows`` encoder,
  polyphase ``UpsampleConv1d`` decoder, which convolves the un-upsampled input with ``scale``
  short phase kernels). Our measured ECG/s is reported as a fraction of both limits.

Run ``python benchmarks/generate.py`` (N = 500, RSS over 10,000 ECGs; a few minutes on two
cores) or ``--quick`` (under a minute). The last line printed is the headline,
``RESULT generate_speedup_vs_deepfake_ecg=<ours ECG/s / deepfake-ecg ECG/s>``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

QUICK = {"n": 64, "n_rss": 2000}
MATMUL_SIZE = 2048
MATMUL_REPEATS = 10

# Run in fresh interpreters: each prints {"import_s": ..., "load_s": ...} as JSON.
IMPORT_PROBES = {
    "deepfake-ecg": """
import time
t0 = time.perf_counter()
import deepfakeecg
t1 = time.perf_counter()
import warnings, pathlib, torch
warnings.simplefilter("ignore")
net = deepfakeecg.Generator()  # what each deepfakeecg.generate() call does before generating
state = torch.load(pathlib.Path(deepfakeecg.__file__).parent / "checkpoints/g_stat.pt",
                   map_location="cpu")
net.load_state_dict(state["stat_dict"])
net.eval()
t2 = time.perf_counter()
""",
    "synthecg": """
import time
t0 = time.perf_counter()
import synthecg.generation
t1 = time.perf_counter()
from synthecg.models import load_generator
load_generator("pulse2pulse-deepfake")
t2 = time.perf_counter()
""",
}
PROBE_REPORT = '\nimport json; print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1}))\n'


@dataclass
class Timed:
    """One end-to-end generation to files."""

    n: int
    seconds: float
    n_bytes: int

    @property
    def ecg_per_s(self) -> float:
        return self.n / self.seconds

    @property
    def bytes_per_ecg(self) -> float:
        return self.n_bytes / self.n


# --- the two generators, end to end --------------------------------------------------------------

def run_deepfake(n: int, folder: Path, device: str) -> Timed:
    """deepfakeecg.generate(n, folder): loads its weights, then writes n .asc files one by one."""
    import deepfakeecg

    folder.mkdir(parents=True)
    torch.manual_seed(0)  # it draws its noise from torch's global generator
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")  # its deprecated nn.init call; the tqdm bar goes too
        started = time.perf_counter()
        deepfakeecg.generate(n, str(folder), run_device=device)
        seconds = time.perf_counter() - started
    files = list(folder.glob("*.asc"))
    if len(files) != n:
        raise SystemExit(f"deepfake-ecg wrote {len(files)} .asc files, expected {n}")
    return Timed(n, seconds, sum(f.stat().st_size for f in files))


def run_synthecg(n: int, folder: Path, model: torch.nn.Module, leads: int, device: str) -> Timed:
    """generate_to_folder with an already loaded model: batched, int16 .npy shards + manifest."""
    from synthecg.generation import generate_to_folder

    started = time.perf_counter()
    result = generate_to_folder(folder, n, seed=0, model=model, leads=leads, file_format="npy",
                                device=device)
    seconds = time.perf_counter() - started
    return Timed(n, seconds, result.n_bytes)


def check_deepfake_output(folder: Path) -> None:
    """Its first file holds one ECG as 5000 rows x 8 integer columns."""
    first = np.loadtxt(folder / "0.asc", dtype=np.int64)
    if first.shape != (5000, 8):
        raise SystemExit(f"deepfake-ecg {folder}/0.asc: shape {first.shape}, expected (5000, 8)")


def check_our_output(folder: Path, n: int, leads: int) -> None:
    """The folder reads back as n int16 ECGs of ``leads`` x 5000 samples. (The two sides start
    from different noise, so their values cannot be compared one for one.)"""
    from synthecg.io import read

    signals = read(folder).signals
    if signals.shape != (n, leads, 5000) or signals.dtype != np.int16:
        raise SystemExit(f"synthecg {folder}: {signals.shape} {signals.dtype}, "
                         f"expected ({n}, {leads}, 5000) int16")


class OtherCPUUse:
    """Share of the machine's CPU time that *other* processes used inside a ``with`` block:
    system-wide busy time from /proc/stat minus this process's CPU time (None off Linux)."""

    def __enter__(self):
        self.fraction = None
        self._start = (self._system_busy_s(), time.process_time(), time.perf_counter())
        return self

    def __exit__(self, *exc):
        system, ours, wall = self._start
        if system is not None:
            others = (self._system_busy_s() - system) - (time.process_time() - ours)
            self.fraction = max(others, 0.0) / ((time.perf_counter() - wall) * os.cpu_count())

    @staticmethod
    def _system_busy_s() -> float | None:
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# --- one-off costs and memory, in fresh processes ------------------------------------------------

def child_env(threads: int | None) -> dict[str, str]:
    env = dict(os.environ)
    if threads is not None:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    return env


def import_costs(threads: int | None) -> dict[str, dict[str, float]]:
    """Per side: seconds to import it and to load its weights, each in a fresh interpreter."""
    costs = {}
    for side, probe in IMPORT_PROBES.items():
        done = subprocess.run([sys.executable, "-c", probe + PROBE_REPORT], env=child_env(threads),
                              capture_output=True, text=True, check=True)
        costs[side] = json.loads(done.stdout.strip().splitlines()[-1])
    return costs


def cli_peak_rss(n: int, folder: Path, device: str, threads: int | None) -> tuple[float, float]:
    """(peak RSS in bytes, wall seconds) of `python -m synthecg generate -n n` writing 12 leads."""
    command = [sys.executable, "-m", "synthecg", "generate", "-n", str(n), "--seed", "0",
               "--out", str(folder), "--leads", "12", "--format", "npy", "--device", device,
               "--quiet"]
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env(threads))
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(command)} failed:\n{log.read().decode(errors='replace')}")
    return usage.ru_maxrss * 1024, seconds  # Linux reports kilobytes


# --- FLOPs ---------------------------------------------------------------------------------------

def conv_flops(module, inputs, output) -> int:
    """2 x multiply-adds of a (1-D, or 1-D-as-2-D) convolution from its output length."""
    per_output = module.in_channels // module.groups * module.kernel_size[0]
    return 2 * module.out_channels * per_output * output.shape[-1] * output.shape[0]


def polyphase_flops(module, inputs, output) -> int:
    """2 x multiply-adds of UpsampleConv1d: each group of phases convolves the input with
    kernels of its own tap count (``module.groups`` holds (first, stop, lowest, highest tap))."""
    x = inputs[0]
    taps = sum((stop - first) * (high - low + 1) for first, stop, low, high in module.groups)
    return 2 * module.conv.in_channels * module.conv.out_channels * taps * x.shape[-1] * x.shape[0]


def flops_per_ecg(model: torch.nn.Module, rules: dict[type, callable]) -> int:
    """FLOPs of one forward pass on one noise sample, summed over the modules ``rules`` count."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        total += next(rule for kind, rule in rules.items() if isinstance(module, kind))(
            module, inputs, output)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, tuple(rules))]
    try:
        with torch.inference_mode():
            model(torch.rand(1, 8, 5000) * 2 - 1)
    finally:
        for handle in handles:
            handle.remove()
    return total


def reference_flops() -> int:
    import deepfakeecg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = deepfakeecg.Generator().eval()  # random weights: the count is what matters
    return flops_per_ecg(model, {torch.nn.Conv1d: conv_flops})


def our_flops(model: torch.nn.Module) -> int:
    from synthecg.models.layers import Conv1dRows, UpsampleConv1d

    return flops_per_ecg(model.cpu(), {UpsampleConv1d: polyphase_flops, Conv1dRows: conv_flops})


def matmul_gflops(device: str, size: int = MATMUL_SIZE, repeats: int = MATMUL_REPEATS) -> float:
    """Best fp32 GFLOP/s of a size x size matmul (2 size^3 FLOPs) after one warm-up."""
    a, b = (torch.rand(size, size, device=device) for _ in range(2))
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    best = float("inf")
    for i in range(repeats + 1):
        sync()
        started = time.perf_counter()
        torch.mm(a, b)
        sync()
        if i:
            best = min(best, time.perf_counter() - started)
    return 2 * size ** 3 / best / 1e9


# --- the run -------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=500, help="ECGs per side (default 500)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a run under a minute: --n {QUICK['n']} --n-rss {QUICK['n_rss']}")
    parser.add_argument("--n-rss", type=int, default=10_000,
                        help="ECGs for the CLI peak-RSS measurement (default 10000)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--device", default="cpu",
                        help="device for both sides (default cpu, deepfake-ecg's default)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="keep the outputs here (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.n_rss = QUICK["n"], QUICK["n_rss"]
    return args


@contextlib.contextmanager
def output_root(out_dir: Path | None):
    if out_dir is None:
        with tempfile.TemporaryDirectory(prefix="synthecg-bench-") as tmp:
            yield Path(tmp)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        if any(out_dir.iterdir()):
            raise SystemExit(f"--out-dir {out_dir}: not empty")
        yield out_dir


def timed_call(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - started


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                     for row in rows)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    from synthecg.models import load_generator

    costs = import_costs(args.threads)
    model, our_load_s = timed_call(load_generator, "pulse2pulse-deepfake", args.device)
    with output_root(args.out_dir) as root:
        # Untimed warm-ups: one full batch each, so oneDNN has built its kernels.
        _, deepfake_warm_s = timed_call(run_deepfake, 2, root / "warmup-deepfake-ecg", args.device)
        _, ours_warm_s = timed_call(run_synthecg, 32, root / "warmup-synthecg", model, 8, args.device)

        with OtherCPUUse() as others_use:
            deepfake = run_deepfake(args.n, root / "deepfake-ecg", args.device)
            ours8 = run_synthecg(args.n, root / "synthecg-8", model, 8, args.device)
            ours12 = run_synthecg(args.n, root / "synthecg-12", model, 12, args.device)
        others = others_use.fraction
        check_deepfake_output(root / "deepfake-ecg")
        check_our_output(root / "synthecg-8", args.n, 8)
        check_our_output(root / "synthecg-12", args.n, 12)
        rss, rss_s = cli_peak_rss(args.n_rss, root / "rss-synthecg-12", args.device, args.threads)
        if args.out_dir is None:
            shutil.rmtree(root / "rss-synthecg-12")  # up to GBs; free it before the FLOP runs

    ref_flops, ours_flops = reference_flops(), our_flops(model)
    gflops = matmul_gflops(args.device)
    ref_limit, ours_limit = gflops * 1e9 / ref_flops, gflops * 1e9 / ours_flops
    speedup = ours8.ecg_per_s / deepfake.ecg_per_s
    deepfake_load_s = costs["deepfake-ecg"]["load_s"]
    speedup_with_loads = (args.n / (ours8.seconds + our_load_s)) / deepfake.ecg_per_s

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"synthecg generate vs deepfakeecg.generate: N={args.n} ECGs, device {args.device}, "
          f"{torch.get_num_threads()} torch threads ({cpus} CPUs available), torch {torch.__version__}")
    if others is not None:
        print(f"other processes' CPU use during the timed runs: {others:.0%} of the CPUs"
              + (" -- they competed for the cores, timings are skewed" if others > 0.05 else ""))
    print()
    print(table([
        ("", "deepfake-ecg", "synthecg 8-lead", "synthecg 12-lead"),
        ("import, fresh process (s)", f"{costs['deepfake-ecg']['import_s']:.2f}",
         f"{costs['synthecg']['import_s']:.2f}", ""),
        ("weights load, fresh process (s)", f"{deepfake_load_s:.2f}",
         f"{costs['synthecg']['load_s']:.2f}", ""),
        ("weights load, this process (s)", "in each call", f"{our_load_s:.2f}", ""),
        ("warm-up, untimed (s)", f"{deepfake_warm_s:.2f}", f"{ours_warm_s:.2f}", ""),
        (f"generate {args.n} to files (s)", f"{deepfake.seconds:.2f}", f"{ours8.seconds:.2f}",
         f"{ours12.seconds:.2f}"),
        ("throughput (ECG/s)", f"{deepfake.ecg_per_s:.1f}", f"{ours8.ecg_per_s:.1f}",
         f"{ours12.ecg_per_s:.1f}"),
        ("on disk per ECG (kB)", f"{deepfake.bytes_per_ecg / 1e3:.1f}",
         f"{ours8.bytes_per_ecg / 1e3:.1f}", f"{ours12.bytes_per_ecg / 1e3:.1f}"),
        ("file format", ".asc text, 1/ECG", "int16 .npy shards", "int16 .npy shards"),
    ]))
    print()
    print(f"speedup, 8 leads each (synthecg / deepfake-ecg ECG/s): {speedup:.1f}x")
    print(f"  deepfake-ecg's time includes its weight loading (~{deepfake_load_s:.2f} s per call); "
          f"with our load ({our_load_s:.2f} s) timed too: {speedup_with_loads:.1f}x")
    print("  synthecg shards are fsynced; deepfake-ecg's .asc files are not")
    print(f"peak RSS, `python -m synthecg generate -n {args.n_rss} --leads 12` in a fresh process: "
          f"{rss / 2**20:.0f} MiB ({args.n_rss / rss_s:.1f} ECG/s including import and load)")
    print()
    print(table([
        ("FLOPs per ECG (2 x multiply-adds of the convolutions)", "GFLOP", "FLOP-limit ECG/s"),
        ("reference architecture (upsample, then 25-tap conv)", f"{ref_flops / 1e9:.2f}",
         f"{ref_limit:.1f}"),
        ("synthecg's polyphase layers (what runs)", f"{ours_flops / 1e9:.2f}", f"{ours_limit:.1f}"),
    ]))
    print(f"machine: fp32 {MATMUL_SIZE}x{MATMUL_SIZE} matmul, best of {MATMUL_REPEATS}: "
          f"{gflops:.1f} GFLOP/s; the polyphase layers do {ref_flops / ours_flops:.2f}x fewer FLOPs")
    print(f"synthecg 8-lead {ours8.ecg_per_s:.1f} ECG/s = {ours8.ecg_per_s / ref_limit:.1%} of the "
          f"reference architecture's FLOP limit, {ours8.ecg_per_s / ours_limit:.1%} of its own")
    print(f"deepfake-ecg {deepfake.ecg_per_s:.1f} ECG/s = {deepfake.ecg_per_s / ref_limit:.1%} of "
          f"the reference architecture's FLOP limit")
    print()
    print(f"RESULT generate_speedup_vs_deepfake_ecg={speedup:.1f}")


if __name__ == "__main__":
    main()
