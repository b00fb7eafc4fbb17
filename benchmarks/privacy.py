"""Time of ``synthecg.evaluate.privacy_audit`` (stages, peak RSS) on real and generated ECGs.

Real: cinc2021-samples + LUDB + CODE-15 + cinc2020-samples (416 ECGs) from ../shared/data (500 Hz, 5000 samples, the 8
independent leads), split at random (seed 0) into train and holdout. Synthetic: the published
generator's ECGs (``synthecg.generate``, seed 0), cached in ``--cache`` because generating
thousands on a shared CPU takes longer than the audit; with ``--tile`` the generated set is
repeated with circular shifts and +-10 µV noise up to ``-n`` ECGs (timing only: those copies
are near-duplicates of each other, not of real people).

    python benchmarks/privacy.py [--quick] [-n 2000] [--train 150] [--holdout 50] [--tile]

``--quick``: 200 synthetic vs 60/40. Last line: ``RESULT privacy_audit_seconds=<s>``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthecg import ECGBatch  # noqa: E402
from synthecg.leads import INDEPENDENT_8  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def real_pool() -> ECGBatch:
    from synthecg import io

    return ECGBatch.concat([io.read(DATA / name, fs=500, length=5000, leads=INDEPENDENT_8)
                            .to_units("mV") for name in ("cinc2021-samples", "ludb",
                                                         "code15-subset", "cinc2020-samples")])


def synthetic_set(n: int, cache: Path, tile: bool) -> ECGBatch:
    import synthecg

    base_n = min(n, 2000) if tile else n
    path = cache / f"generated-seed0-{base_n}.npy"
    if path.exists():
        signals = np.load(path)
    else:
        t0 = time.perf_counter()
        signals = synthecg.generate(base_n, seed=0, leads=8, progress=None).signals
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, signals)
        print(f"generated {base_n} ECGs in {time.perf_counter() - t0:.0f} s (cached in {path})")
    # kept as int16 µV, as generated (a float32 mV copy of 10,000 ECGs would be 1.6 GB)
    if len(signals) >= n:
        return ECGBatch(signals[:n], 500.0, INDEPENDENT_8, "uV")
    rng = np.random.default_rng(0)
    out = np.empty((n, *signals.shape[1:]), dtype=np.int16)
    for start in range(0, n, len(signals)):
        part = signals[: min(len(signals), n - start)]
        if start:
            part = np.roll(part, int(rng.integers(1, signals.shape[-1])), axis=-1)
            part = part + rng.integers(-10, 11, part.shape, dtype=np.int16)
        out[start:start + len(part)] = part
    return ECGBatch(out, 500.0, INDEPENDENT_8, "uV")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--train", type=int, default=150)
    parser.add_argument("--holdout", type=int, default=50)
    parser.add_argument("--tile", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/synthecg-benchmark-cache"))
    args = parser.parse_args()
    if args.quick:
        args.n, args.train, args.holdout = 200, 60, 40
    from synthecg.evaluate import privacy_audit

    pool = real_pool()
    order = np.random.default_rng(0).permutation(len(pool))
    train = pool[np.sort(order[:args.train])]
    holdout = pool[np.sort(order[args.train:args.train + args.holdout])]
    synthetic = synthetic_set(args.n, args.cache, args.tile)
    del pool
    print(f"audit: {len(synthetic)} synthetic vs {len(train)} train + {len(holdout)} holdout")
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    audit = privacy_audit(train, holdout, synthetic, seed=0)
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    for stage, value in audit.timings.items():
        print(f"  {stage:<28s} {value:8.2f} s")
    print(f"verdict {audit.verdict}: {'; '.join(audit.reasons)}")
    for name, attack in audit.mia.items():
        print(f"  {name:<18s} AUC {attack['auc']:.3f} [{attack['interval'][0]:.3f}, "
              f"{attack['interval'][1]:.3f}]  TPR@1%FPR {attack['tpr_at_fpr']:.3f}")
    print(f"  DCR share closer to train {audit.dcr_closer_to_train:.3f} "
          f"[{audit.dcr_interval[0]:.3f}, {audit.dcr_interval[1]:.3f}]")
    print(f"  copies {len(audit.copies)} (threshold {audit.copy_threshold:.3f}, expected by "
          f"chance {audit.copy_test['expected_by_chance']:.1f}, p {audit.copy_test['p_value']:.3g})")
    for name, control in audit.controls.items():
        print(f"  {name} control: {control['verdict']} (expected {control['expected']}), "
              f"attack AUC {control['mia_auc']:.3f}")
    print(f"total {seconds:.1f} s wall, {cpu:.1f} s CPU (all threads; on 2 idle cores the wall "
          f"time would be about {cpu / 2:.0f}-{cpu:.0f} s), peak RSS {rss:.0f} MB, "
          f"load average now {os.getloadavg()[0]:.1f}")
    print(f"RESULT privacy_audit_seconds={seconds:.1f}")


if __name__ == "__main__":
    main()
