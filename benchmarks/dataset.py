"""Benchmark: training data at scale -- N ECGs from the built-in model in HDF5 shards, streamed
through a shuffling DataLoader without loading them all.

1. ``synthecg generate -n N --leads 8 --format hdf5 --shard-size 1000`` (the built-in
   pulse2pulse-deepfake model; uncompressed shards, the generation default) into ``--data``
   (kept and reused: generation resumes / skips complete shards).
2. In a fresh process per setting (so peak RSS is the reader's own, not the generator's):
   ``open_training_data`` with streaming forced, then a ``DataLoader`` (batch 32, shuffle,
   ``num_workers`` 0 and 2) over the training split for ``--items`` ECGs: ECG/s, the indexing
   pass time, and peak RSS of the main process and of its workers (``ru_maxrss``), against the
   size the windows would take in memory (float32).
3. The rate a training loop consumes real ECGs: one WGAN-GP critic step (real + fake forward,
   backward, gradient penalty) of a small Pulse2Pulse critic (model_size 8, the CPU training
   size) at batch 32 on this CPU: 32 real ECGs per step.

``python benchmarks/dataset.py`` runs 20,000 ECGs (generation takes a while on CPU);
``--quick`` 2,000. The last line is ``RESULT dataset_ecg_per_s=...`` (num_workers 2).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(data: str, workers: int, items: int, batch_size: int) -> dict:
    """Index ``data`` (streaming) and read ``items`` ECGs through a DataLoader; in this process."""
    import torch

    from synthecg.data import DataConfig, open_training_data

    torch.set_num_threads(1)
    started = time.perf_counter()
    training = open_training_data(DataConfig(path=data, holdout_fraction=0.1), in_memory=False)
    indexed = time.perf_counter() - started
    rss_after_index = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    loader = torch.utils.data.DataLoader(training.train, batch_size=batch_size, shuffle=True,
                                         num_workers=workers, drop_last=True,
                                         generator=torch.Generator().manual_seed(0),
                                         persistent_workers=workers > 0)
    seen, checksum, worker_peaks = 0, 0.0, [0.0]
    started = time.perf_counter()
    while seen < items:
        batches = iter(loader)
        for batch in batches:
            seen += len(batch)
            checksum += float(batch[:, :, ::500].sum())
            if seen >= items:
                break
        worker_peaks += [_peak_rss_mb(w.pid) for w in getattr(batches, "_workers", [])]
    seconds = time.perf_counter() - started
    n_used = len(training.train_ids) + len(training.holdout_ids)
    return {"workers": workers, "ecg_per_s": seen / seconds, "items": seen, "index_s": indexed,
            "records": n_used, "skipped": len(training.skipped),
            "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_after_index_mb": rss_after_index / 1024,
            "rss_worker_mb": max(worker_peaks),
            "in_memory_mb": n_used * 8 * 5000 * 4 / 2**20, "checksum": checksum}


def _peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process, MiB (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def critic_step_rate(batch_size: int, repeats: int = 3) -> float:
    """Real ECGs per second one small WGAN-GP critic step consumes on this CPU."""
    import torch

    from synthecg.models import Pulse2PulseConfig, Pulse2PulseCritic

    torch.manual_seed(0)
    critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=8))
    real = torch.rand(batch_size, 8, 5000) * 2 - 1
    fake = torch.rand(batch_size, 8, 5000) * 2 - 1
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        critic.zero_grad()
        alpha = torch.rand(batch_size, 1, 1)
        mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        score = critic(mixed)
        grad, = torch.autograd.grad(score.sum(), mixed, create_graph=True)
        penalty = ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()
        loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
        loss.backward()
        best = min(best, time.perf_counter() - start)
    return batch_size / best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 ECGs instead of 20,000")
    parser.add_argument("-n", type=int, default=None)
    parser.add_argument("--data", default=None, help="generation folder (kept, reused)")
    parser.add_argument("--items", type=int, default=None, help="ECGs read per setting")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # child process mode
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.workers, args.items, args.batch_size)))
        return

    n = args.n or (2000 if args.quick else 20000)
    items = args.items or (n * 9 // 10 if args.quick else 8000)
    data = Path(args.data or Path(tempfile.gettempdir()) / f"synthecg-dataset-bench-{n}")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "synthecg", "generate", "-n", str(n), "--seed", "0",
                    "--leads", "8", "--format", "hdf5", "--shard-size", "1000", "--out", str(data),
                    "--quiet"], check=True, env=env, stdout=subprocess.DEVNULL)
    generated = time.perf_counter() - started
    size = sum(p.stat().st_size for p in data.glob("*.h5"))
    print(f"{n} ECGs (8 leads x 5000 int16 µV) in {len(list(data.glob('*.h5')))} HDF5 shards, "
          f"{size / 2**20:,.0f} MiB, at {data} ({generated:.0f} s to generate or check)")

    results = []
    for workers in (0, 2):
        done = subprocess.run([sys.executable, __file__, "--measure", str(data), "--workers",
                               str(workers), "--items", str(items), "--batch-size",
                               str(args.batch_size)], check=True, env=env, capture_output=True,
                              text=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    first = results[0]
    print(f"indexing pass (streaming, every record checked): {first['index_s']:.1f} s for "
          f"{first['records']} records ({first['records'] / first['index_s']:,.0f} records/s), "
          f"{first['skipped']} skipped")
    print(f"windows in memory would take {first['in_memory_mb']:,.0f} MiB (float32)")
    print(f"{'num_workers':>11} {'ECG/s':>9} {'ECGs read':>10} {'peak RSS main':>14} {'per worker':>11}")
    for r in results:
        worker = f"{r['rss_worker_mb']:,.0f} MiB" if r["workers"] else "-"
        print(f"{r['workers']:>11} {r['ecg_per_s']:>9,.0f} {r['items']:>10} "
              f"{r['rss_main_mb']:>10,.0f} MiB {worker:>11}")

    step = critic_step_rate(args.batch_size)
    loaded = results[1]["ecg_per_s"]
    print(f"training consumption: one WGAN-GP critic step (model_size 8, batch {args.batch_size}) "
          f"takes {step and args.batch_size / step:.2f} s on this CPU = {step:,.0f} real ECG/s")
    print(f"data loading (num_workers 2) / training consumption: {loaded / step:,.0f}x")
    print(f"RESULT dataset_ecg_per_s={loaded:.0f}")


if __name__ == "__main__":
    main()
