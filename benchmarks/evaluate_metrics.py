"""Time of ``synthecg.evaluate.fidelity`` + ``diversity`` on generated vs real ECGs.

Synthetic: ``synthecg.generate(n, seed=0, leads=8)`` (int16 µV, 500 Hz, 10 s). Real: the 134
LUDB records and the first CinC 2021 records of ``../shared/data`` (500 Hz, 10 s, 8 independent
leads). Measurements are made first and passed in, as the report's input stage does, and timed
apart; the metrics' time is also given relative to measuring the real set in the same run.

    python benchmarks/evaluate_metrics.py [--quick] [-n 2000] [--n-real 150]

Last line: RESULT fidelity_diversity_s=<seconds for fidelity() + diversity()>.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import synthecg  # noqa: E402
from synthecg.leads import INDEPENDENT_8  # noqa: E402


def real_ecgs(n: int):
    from conftest import SHARED_DATA, wfdb_batch

    ludb = sorted((SHARED_DATA / "ludb" / "data").glob("*.hea"), key=lambda p: int(p.stem))
    cinc = sorted((SHARED_DATA / "cinc2021-samples").glob("*.hea"))
    parts = [wfdb_batch(ludb[0].parent, [p.stem for p in ludb[:n]])]
    if n > len(ludb):
        parts.append(wfdb_batch(cinc[0].parent, [p.stem for p in cinc[:n - len(ludb)]]))
    parts = [p.select(INDEPENDENT_8) for p in parts]
    return synthecg.ECGBatch(np.concatenate([p.signals.astype(np.int32) for p in parts]),
                             500.0, INDEPENDENT_8, "uV")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="synthetic ECGs")
    parser.add_argument("--n-real", type=int, default=150)
    parser.add_argument("--quick", action="store_true", help="200 synthetic vs 60 real")
    args = parser.parse_args()
    n, n_real = (200, 60) if args.quick else (args.n, args.n_real)

    from synthecg.evaluate import diversity, fidelity
    from synthecg.measure import measure

    t = time.perf_counter()
    synthetic = synthecg.generate(n, seed=0, leads=8)
    print(f"generate {n} synthetic: {time.perf_counter() - t:.1f} s")
    real = real_ecgs(n_real)
    t = time.perf_counter()
    real_m = measure(real)
    t_real_m = time.perf_counter() - t
    t = time.perf_counter()
    synthetic_m = measure(synthetic)
    t_syn_m = time.perf_counter() - t
    print(f"measure (caller's step): real {len(real)} {t_real_m:.1f} s, synthetic {n} {t_syn_m:.1f} s")
    import torch  # noqa: F401  (import time is not the metrics' time)

    t, cpu = time.perf_counter(), time.process_time()
    fid = fidelity(real, synthetic, real_measurements=real_m, synthetic_measurements=synthetic_m)
    t_fid = time.perf_counter() - t
    t = time.perf_counter()
    div = diversity(real, synthetic, real_measurements=real_m, synthetic_measurements=synthetic_m)
    t_div = time.perf_counter() - t
    total = t_fid + t_div
    cpu = time.process_time() - cpu
    print(f"fidelity: {t_fid:.1f} s (embedded {fid.sizes['n_embedded_per_set']} per set)")
    print(f"diversity: {t_div:.1f} s")
    print(f"fidelity + diversity: {total:.1f} s wall, {cpu:.1f} s CPU (all threads; on a busy "
          f"machine CPU time is the steadier figure)")
    print(f"fidelity + diversity / measuring the real set: {total / t_real_m:.2f}")
    e = fid.embeddings
    print(f"C2ST AUC {fid.c2st['auc']:.3f} [{fid.c2st['auc_low']:.3f}, {fid.c2st['auc_high']:.3f}]; "
          f"clinical FD {e['clinical']['frechet']:.1f} MMD² {e['clinical']['mmd2']:.3f} "
          f"(p {e['clinical']['p_value']:.3f}) P/R/D/C {e['clinical']['precision']:.2f}/"
          f"{e['clinical']['recall']:.2f}/{e['clinical']['density']:.2f}/{e['clinical']['coverage']:.2f}; "
          f"random-net FD {e['random_network']['frechet']:.1f} MMD² {e['random_network']['mmd2']:.3f} "
          f"P/R/D/C {e['random_network']['precision']:.2f}/{e['random_network']['recall']:.2f}/"
          f"{e['random_network']['density']:.2f}/{e['random_network']['coverage']:.2f}; "
          f"PSD {fid.psd['mean']:.3f}; flags {int(fid.table['flag'].sum())}/{len(fid.table)}")
    print(f"diversity: ratio {div.distance_ratio:.2f}, near-dup {div.near_duplicate_rate:.3f}, "
          f"median VR {div.median_variance_ratio:.2f}, recall {div.recall:.2f}, alarm {div.alarm} {div.reasons}")
    print(f"RESULT fidelity_diversity_s={total:.2f}")


if __name__ == "__main__":
    main()
