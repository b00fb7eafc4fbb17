"""The evaluator on itself: real halves vs graded degradations, as a markdown table.

Uses the test suite's real set and degradations (tests/evaluate/_degrade.py): 44 real normal
ECGs of ../shared/data split into stratified random halves; half B degraded at levels 0.5 and
1 (noise, wrong sampling rate, flattened T waves, time reversal) and compared with half A by
``synthecg.evaluate.fidelity``. Prints one row per set; docs/evaluation-metrics.md holds the table.

    python benchmarks/evaluate_selftest.py

Last line: RESULT real_vs_real_c2st_auc=<AUC of the undegraded halves>.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "evaluate")]

from _degrade import DEGRADATIONS, real_halves  # noqa: E402

from synthecg.evaluate import fidelity  # noqa: E402
from synthecg.measure import measure  # noqa: E402

UPRIGHT_T = ("I", "II", "V3", "V4", "V5", "V6")


def row(label: str, f) -> str:
    c, e = f.c2st, f.embeddings
    t = f.table.set_index("measurement")["smd"]
    t_smd = np.mean([t[f"t_amplitude_{lead}"] for lead in UPRIGHT_T])
    return (f"| {label} | {c['auc']:.2f} [{c['auc_low']:.2f}, {c['auc_high']:.2f}] | "
            f"{e['clinical']['frechet']:.1f} | {e['clinical']['mmd2']:.3f} ({e['clinical']['p_value']:.3f}) | "
            f"{e['random_network']['frechet']:.1f} | {e['random_network']['mmd2']:.3f} "
            f"({e['random_network']['p_value']:.3f}) | {f.psd['mean']:.3f} | "
            f"{t['heart_rate']:+.2f} | {t_smd:+.2f} |")


def main() -> None:
    a, b, ma, mb = real_halves()
    print(f"real halves: {len(a)} vs {len(b)} ECGs")
    print("| set B | C2ST AUC [95 %] | clin. FD | clin. MMD² (p) | rnd FD | rnd MMD² (p) | PSD | HR SMD | T SMD (I, II, V3-V6) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    base = fidelity(a, b, real_measurements=ma, synthetic_measurements=mb, seed=0)
    print(row("real half", base), flush=True)
    for name, degrade in DEGRADATIONS.items():
        for level in (0.5, 1.0):
            degraded = degrade(b, level)
            f = fidelity(a, degraded, real_measurements=ma, synthetic_measurements=measure(degraded), seed=0)
            print(row(f"{name} {level:g}", f), flush=True)
    print(f"RESULT real_vs_real_c2st_auc={base.c2st['auc']:.3f}")


if __name__ == "__main__":
    main()
