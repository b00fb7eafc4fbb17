"""Full evaluation time and memory, and the open peer ecgen-eval on the same data.

Data: ``-n`` synthetic ECGs of the built-in generator (``generate_to_folder``, seed 0; 10,000,
``--quick``: 1,000) against 300 real training + 100 real holdout ECGs from ../shared/data
(LUDB, CinC 2021, CinC 2020, CODE-15; all resampled to 500 Hz and cropped/padded to 10 s by the
input stage; split at random with seed 0). Ours: ``synthecg.evaluate.evaluate`` + the report
folder, time per stage, peak RSS of this process; then the same evaluation again with the
measurement cache filled (the re-run a user makes after changing a threshold).

Peer: ecgen-eval (PyPI) installed with ``pip install --no-deps --target`` into a throwaway
folder under /tmp (never into the project venv; it runs on this venv's numpy/scipy/sklearn),
each of its metrics run on the same real training ECGs and (``--peer-max``, default 1,000) the
same synthetic ECGs (mV, (N, L, T)) in a subprocess with a per-metric time limit. Its ``fed`` metric needs a pretrained network
downloaded from the Hugging Face hub, which is not reachable here, so it is listed, not run.

    python benchmarks/evaluate.py [--quick] [-n 10000] [--peer-timeout 120]

Last line: RESULT evaluate_seconds=<our full evaluation incl. report, cold cache>.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthecg import ECGBatch  # noqa: E402
from synthecg._seeding import rng_for  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"
SOURCES = ("ludb/data", "cinc2021-samples", "cinc2020-samples", "code15-subset")

# What each tool computes, side by side (ours from the issue and our result objects; the
# peer's from its metric registry and README).
OURS = {
    "measurement table (HR, PR, QRS, QT, QTc, axes, per-lead amplitudes; SMD, KS, Wasserstein, flags)": "yes",
    "unmeasurable share, QT-RR slope, physiological plausibility, limb-lead identities": "yes",
    "Fréchet distance": "clinical + random-network embeddings",
    "MMD² with permutation p-value": "clinical + random-network embeddings",
    "precision / recall / density / coverage": "k = 5, both embeddings",
    "classifier two-sample test (AUC + bootstrap interval, separating features)": "yes",
    "PSD distance per lead": "Welch, log-PSD",
    "diversity: pairwise-distance ratio, near-duplicates, variance ratios, alarm": "yes",
    "privacy: DCR train vs holdout, membership attacks, copies under circular shifts": "yes",
    "privacy controls (positive + negative) with every audit": "yes",
    "self-contained HTML report + versioned JSON": "yes",
}
PEER_KNOWN = {"mmd": "MMD (raw signals)", "dtw": "dynamic time warping", "prd": "PRD",
              "psd": "PSD Jensen-Shannon", "fd": "Fréchet distance", "fed": "Fréchet ECG distance "
              "(pretrained encoder)", "psnr": "PSNR", "ssim": "1-D SSIM", "swd": "sliced Wasserstein",
              "mae": "nearest-neighbour MAE", "hrv": "HRV SDNN/rMSSD/pNN50", "pr_dist":
              "precision/recall", "sqi": "signal quality index", "nn_dist": "nearest-neighbour "
              "distance (memorisation)", "heart_rate": "heart-rate JS divergence",
              "spectral_entropy": "spectral entropy divergence"}

PEER_RUNNER = r"""
import json, signal, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from ecgen_eval.metrics import AVAILABLE_METRICS
real = np.load(sys.argv[1]); synth = np.load(sys.argv[2]); limit = int(sys.argv[3])
leads = sys.argv[4].split(",")
def alarm(*_): raise TimeoutError
signal.signal(signal.SIGALRM, alarm)
for key, cls in AVAILABLE_METRICS.items():
    if key == "fed":
        print(json.dumps({"metric": key, "status": "not run (downloads a pretrained model)"}), flush=True)
        continue
    start = time.perf_counter(); signal.alarm(limit)
    try:
        result = cls().compute(real, synth, lead_names=leads)
        signal.alarm(0)
        print(json.dumps({"metric": key, "seconds": time.perf_counter() - start,
                          "score": float(result.score), "status": "ok"}), flush=True)
    except TimeoutError:
        print(json.dumps({"metric": key, "status": f"over {limit} s"}), flush=True)
    except Exception as exc:
        signal.alarm(0)
        print(json.dumps({"metric": key, "status": f"error: {type(exc).__name__}: {str(exc)[:80]}"}), flush=True)
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def real_sets(n_train: int, n_holdout: int, seed: int = 0):
    """300 + 100 real ECGs of the shared data, harmonised, split at random."""
    from synthecg.evaluate.inputs import _harmonise
    from synthecg.io import iter_records

    batches = [b for source in SOURCES for b in iter_records(DATA / source)]
    notes = []
    leads = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    batch, _ = _harmonise(batches, "real", 500.0, leads, 5000, notes)
    # two CinC 2021 records (Georgia E07509 and E07510) hold identical samples: keep one copy,
    # else the input stage rightly refuses a holdout that shares a record with training
    from synthecg.evaluate.inputs import ecg_hashes

    first = {}
    for k, h in enumerate(ecg_hashes(batch)):
        first.setdefault(h, k)
    if len(first) < len(batch):
        notes.append(f"{len(batch) - len(first)} duplicate record(s) dropped")
        batch = batch[np.array(sorted(first.values()))]
    order = rng_for(seed, 0).permutation(len(batch))
    need = n_train + n_holdout
    if len(batch) < need:
        raise SystemExit(f"only {len(batch)} real ECGs in {DATA}, need {need}")
    return batch[np.sort(order[:n_train])], batch[np.sort(order[n_train:need])], notes


def install_peer(folder: Path) -> str | None:
    """pip install ecgen-eval (no dependencies) into ``folder``; None on success, else why not."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(folder),
               "ecgen-eval"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "pip install timed out"
    if done.returncode != 0:
        return "pip install failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200]
    return None


def run_peer(folder: Path, real: ECGBatch, synthetic: ECGBatch, limit: int, work: Path):
    np.save(work / "real.npy", real.to_units("mV").signals)
    np.save(work / "synth.npy", synthetic.to_units("mV").signals)
    env = {**os.environ, "PYTHONPATH": str(folder)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEER_RUNNER, str(work / "real.npy"),
                           str(work / "synth.npy"), str(limit), ",".join(real.leads)],
                          capture_output=True, text=True, env=env,
                          timeout=limit * (len(PEER_KNOWN) + 2) + 120)
    total = time.perf_counter() - started
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not rows:
        print("ecgen-eval did not run:", (done.stderr.strip().splitlines() or ["?"])[-1][:200])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return rows, total, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 synthetic ECGs, 60-s peer limit")
    parser.add_argument("-n", type=int, default=10_000, help="synthetic ECGs")
    parser.add_argument("--peer-timeout", type=int, default=None, help="seconds per peer metric")
    parser.add_argument("--peer-max", type=int, default=1000,
                        help="synthetic ECGs given to ecgen-eval (its raw-signal metrics are "
                             "quadratic in the set sizes; seeded subsample, stated)")
    parser.add_argument("--no-peer", action="store_true", help="skip ecgen-eval")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)  # known CinC 2020 header gains, corrected
    n = 1_000 if args.quick else args.n
    limit = args.peer_timeout or (60 if args.quick else 300)

    from synthecg.evaluate import evaluate, write_report
    from synthecg.generation import generate_to_folder

    work = Path(tempfile.mkdtemp(prefix="synthecg-bench-evaluate-"))
    try:
        print(f"cores: {os.cpu_count()}; generating {n} synthetic ECGs ...", flush=True)
        t0 = time.perf_counter()
        generate_to_folder(work / "synthetic", n, seed=0, progress=False)
        print(f"generated in {time.perf_counter() - t0:.1f} s (not part of the evaluation)")
        train, holdout, notes = real_sets(300, 100)
        print(f"real: {len(train)} train + {len(holdout)} holdout ({'; '.join(notes)})")
        rss_before = peak_rss_mb()

        cache = work / "cache"
        t0 = time.perf_counter()
        result = evaluate(train, work / "synthetic", holdout, seed=0, cache_dir=cache, progress=False)
        t_eval = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_report(result, work / "report")
        t_report = time.perf_counter() - t0
        cold = t_eval + t_report
        peak = peak_rss_mb()
        summary = result.summary()
        print("\nours (cold measurement cache):")
        for stage, seconds in result.timings.items():
            after = result.peak_rss_mb.get(stage)
            print(f"  {stage:<10} {seconds:8.1f} s   peak RSS after it {after or float('nan'):.0f} MB")
        print(f"  {'report':<10} {t_report:8.1f} s   ({sum(p.stat().st_size for p in (work / 'report').iterdir()) / 1e6:.1f} MB)")
        print(f"  {'total':<10} {cold:8.1f} s   peak RSS {peak:.0f} MB (before: {rss_before:.0f} MB)")
        print(f"  verdicts: fidelity {summary['fidelity']['verdict']} ({summary['fidelity']['n_flags']} flags, "
              f"C2ST AUC {summary['fidelity']['c2st_auc']}); diversity {summary['diversity']['verdict']}; "
              f"privacy {summary['privacy']['verdict']} (MIA AUC {summary['privacy']['mia_auc']})")

        # the cold result is let go before the re-run (a user's re-run is a new process): the
        # peer needs only its seeded subsample of the synthetic set
        from synthecg.evaluate.inputs import subsample

        peer_synthetic = None if args.no_peer else subsample(result.inputs.synthetic,
                                                             args.peer_max, seed=0)
        cold_measure = result.timings["measure"]
        del result
        t0 = time.perf_counter()
        again = evaluate(train, work / "synthetic", holdout, seed=0, cache_dir=cache, progress=False)
        t_again = time.perf_counter() - t0
        print(f"\nours again (measurement cache filled: hits {again.cache_hits}): "
              f"{t_again:.1f} s, measure stage {again.timings['measure']:.1f} s "
              f"(cold {cold_measure:.1f} s, ratio {cold_measure / max(again.timings['measure'], 1e-9):.0f}x)")
        for stage, seconds in again.timings.items():
            print(f"  {stage:<10} {seconds:8.1f} s")
        print(f"  peak RSS of the process so far {peak_rss_mb():.0f} MB")
        del again

        peer_rows, peer_total, peer_peak = [], None, None
        if not args.no_peer:
            folder = Path(tempfile.gettempdir()) / "synthecg-bench-ecgen-eval"
            why = None if (folder / "ecgen_eval").is_dir() else install_peer(folder)
            if why:
                print(f"\necgen-eval: could not be installed ({why})")
            else:
                synth = peer_synthetic
                print(f"\necgen-eval on the same {len(train)} real training vs {len(synth)} synthetic "
                      f"ECGs (limit {limit} s per metric) ...", flush=True)
                peer_rows, peer_total, peer_peak = run_peer(folder, train, synth, limit, work)
                for row in peer_rows:
                    seconds = f"{row['seconds']:8.1f} s" if "seconds" in row else " " * 10
                    score = f"score {row['score']:.4g}" if "score" in row else row["status"]
                    print(f"  {row['metric']:<17}{seconds}  {score}")
                print(f"  total (process)  {peer_total:8.1f} s   peak RSS {peer_peak:.0f} MB")

        print("\nwhat each computes:")
        print(f"  {'SynthECG':<88} | ecgen-eval")
        peer_names = [f"{k}: {v}" for k, v in PEER_KNOWN.items()]
        ours = [f"{k} [{v}]" if v != "yes" else k for k, v in OURS.items()]
        for k in range(max(len(ours), len(peer_names))):
            left = ours[k] if k < len(ours) else ""
            right = peer_names[k] if k < len(peer_names) else ""
            print(f"  {left[:88]:<88} | {right}")
        print("  (ecgen-eval: no holdout, no membership test, no controls; nn_dist is its only "
              "memorisation measure)")
        ran = [r for r in peer_rows if "seconds" in r]
        if ran:
            print(f"\nratio: ecgen-eval metrics that finished took {sum(r['seconds'] for r in ran):.1f} s "
                  f"({len(ran)} of {len(peer_rows)}); SynthECG's whole evaluation {cold:.1f} s")
        print(f"RESULT evaluate_seconds={cold:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
