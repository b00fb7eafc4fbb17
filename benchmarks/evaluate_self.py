"""The evaluator on itself: real vs real, and the published generator vs real normal ECGs.

1. Real vs real: the unique real ECGs of ../shared/data (LUDB, CinC 2021, CinC 2020, CODE-15;
   resampled to 500 Hz, 10 s) split at random (seed 0) into three thirds: "training",
   holdout, and a third posing as "synthetic". Nobody in the last third is in the first, so a
   sound evaluator finds them indistinguishable (classifier AUC near 0.5) and private (pass).
2. Published generator: ``-n`` ECGs of the built-in DeepFake-ECG Pulse2Pulse generator (seed 0)
   against the real normal-rhythm ECGs (``--filter normal``: LUDB sinus rhythm, CinC 426783006),
   30 % held out at random, as in ``make demo``. That generator never saw these records, so the
   audit can only check for closeness to them, not membership.

Prints one table of the key figures of each evaluation and writes both reports under --out.

    python benchmarks/evaluate_self.py [-n 1000] [--out evaluate-self]

Last line: RESULT real_vs_real_c2st_auc=<AUC>.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthecg._seeding import rng_for  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"


def key_figures(result) -> dict:
    fid, div, priv = result.fidelity, result.diversity, result.privacy
    c2st = getattr(fid, "c2st", {}) or {}
    emb = getattr(fid, "embeddings", {}) or {}
    controls = getattr(priv, "controls", {}) or {}
    row = {
        "sizes (train/holdout/synthetic)": "/".join(str(len(b)) for b in (
            result.inputs.train, result.inputs.holdout, result.inputs.synthetic)),
        "C2ST AUC [95 % CI]": f"{c2st.get('auc', float('nan')):.3f} "
                              f"[{c2st.get('auc_low', float('nan')):.3f}, {c2st.get('auc_high', float('nan')):.3f}]",
        "flags |SMD| > 0.2 (global / all)": f"{sum(1 for f in fid.flags if any(g in f for g in ('heart_rate', 'interval', 'qrs_duration', 'qtc', 'axis')))}"
                                            f" / {len(fid.flags)}",
        "plausible (real / synthetic)": "/".join(
            f"{v:.2f}" for v in fid.plausibility.set_index("criterion").loc["all", ["real", "synthetic"]]),
    }
    for name in ("clinical", "random_network"):
        m = emb.get(name, {})
        row[f"{name}: Fréchet, MMD² (p)"] = f"{m.get('frechet', np.nan):.1f}, {m.get('mmd2', np.nan):.3f} ({m.get('p_value', np.nan):.3f})"
        row[f"{name}: precision/recall/density/coverage"] = "/".join(
            f"{m.get(k, np.nan):.2f}" for k in ("precision", "recall", "density", "coverage"))
    row["diversity: distance ratio, alarm"] = f"{div.distance_ratio:.2f}, {div.alarm}"
    row["diversity: median variance ratio"] = f"{div.median_variance_ratio:.2f}"
    row["privacy verdict"] = priv.verdict
    lo_hi = priv.mia_auc_interval or (np.nan, np.nan)
    row["MIA AUC [CI]"] = f"{priv.mia_auc if priv.mia_auc is not None else np.nan:.3f} [{lo_hi[0]:.3f}, {lo_hi[1]:.3f}]"
    row["share closer to train"] = f"{priv.dcr_closer_to_train if priv.dcr_closer_to_train is not None else np.nan:.3f}"
    row["copies"] = str(len(priv.copies))
    for name, control in controls.items():
        row[f"{name} control: verdict (MIA AUC)"] = f"{control.get('verdict')} ({control.get('mia_auc')})"
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="ECGs of the published generator")
    parser.add_argument("--out", default=None, help="folder for the two reports (default: temporary)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)

    from synthecg import generate
    from synthecg.evaluate import evaluate, write_report
    from synthecg.evaluate.inputs import _harmonise, ecg_hashes
    from synthecg.io import iter_records

    out = Path(args.out or tempfile.mkdtemp(prefix="synthecg-evaluate-self-"))
    out.mkdir(parents=True, exist_ok=True)
    leads = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    sources = ("ludb/data", "cinc2021-samples", "cinc2020-samples", "code15-subset")
    batches = [b for s in sources for b in iter_records(DATA / s)]
    real, _ = _harmonise(batches, "real", 500.0, leads, 5000, [])
    unique = {}
    for k, h in enumerate(ecg_hashes(real)):
        unique.setdefault(h, k)
    real = real[np.array(sorted(unique.values()))]
    order = rng_for(0, 0).permutation(len(real))
    third = len(real) // 3
    parts = [real[np.sort(order[k * third:(k + 1) * third])] for k in range(3)]

    rows = {}
    t0 = time.perf_counter()
    rr = evaluate(parts[0], parts[2], parts[1], seed=0, progress=False)
    write_report(rr, out / "real-vs-real", overwrite=True)
    rows["real vs real"] = key_figures(rr)
    print(f"real vs real: {time.perf_counter() - t0:.0f} s", flush=True)

    t0 = time.perf_counter()
    synthetic = generate(args.n, seed=0)
    pub = evaluate([DATA / s for s in sources[:3]], synthetic, seed=0, real_filter="normal",
                   holdout_fraction=0.3, progress=False)
    write_report(pub, out / "published-vs-normal", overwrite=True)
    rows["published generator vs normal"] = key_figures(pub)
    print(f"published generator vs real normal ECGs: {time.perf_counter() - t0:.0f} s", flush=True)

    names = list(rows)
    keys = list(dict.fromkeys(k for r in rows.values() for k in r))
    print(f"\n| figure | {' | '.join(names)} |\n|---|{'---|' * len(names)}")
    for k in keys:
        print(f"| {k} | {' | '.join(rows[n].get(k, '') for n in names)} |")
    print(f"\nreports: {out / 'real-vs-real' / 'report.html'}, {out / 'published-vs-normal' / 'report.html'}")
    print(f"RESULT real_vs_real_c2st_auc={rr.fidelity.c2st.get('auc', float('nan')):.3f}")


if __name__ == "__main__":
    main()
