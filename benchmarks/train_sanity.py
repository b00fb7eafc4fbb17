"""Sanity check of the whole training loop: a small GAN trained on real normal ECGs on CPU.

What it does, in one run on this machine:

* **Data.** A folder of links to the real normal-rhythm ECGs in ``../shared/data``: the LUDB
  records whose ``ludb.csv`` rhythm is exactly "Sinus rhythm" (LUDB carries no SNOMED codes,
  so ``--filter normal`` cannot select them) and the CinC 2021 records whose only diagnosis is
  426783006 (sinus rhythm). 500 Hz, 10 s, 8 independent leads, µV / ``--scale-uv``
  (``synthecg.data``; default the paper's 6000); baseline wander removed with ``--highpass``.
* **Training.** ``synthecg.training.train`` (WGAN-GP: λ 10, betas (0.5, 0.9); lr, critic lr,
  n_critic, EMA, augmentation, phase shuffle, generator width floor and batch as given,
  defaults the paper's)
  of a small model (``--model-size``, default 8)
  for ``--minutes`` (default 20) of wall time on CPU, via the config's ``time_limit`` (the loop
  stops after the step that crosses it and writes a checkpoint). Steps, steps/s and the final
  losses are printed.
* **Check.** 100 ECGs generated from the best checkpoint (fidelity proxy, or the last one when
  no proxy was measured), measured with ``synthecg.measure.measure``; printed: the fraction
  with a heart rate in 40-150 bpm (unmeasurable counts as outside), the fraction with P, QRS
  and T all delineated (PR, QRS and QT measurable; the heart rate alone is a weak check: an
  untrained generator's blips already pass it), the median P, R and T amplitudes in lead II
  against the real ones (a delineator finds *a* P wave in most ECGs; its size says whether
  one is visible), the P wave of lead II's median beat averaged over the ECGs (the "P bump":
  a P wave before some beats only counts for less) and the share of lead II's beats with an
  upright P wave of >= 40 µV before them, the beat-to-beat interval variation (a generator that
  drops beats keeps a normal median heart rate), the share of power above 40 Hz against the
  real ECGs' (trains of high-frequency bursts pass both delineation checks: real ECGs keep
  ~1 % of their power above 40 Hz), the median HR, PR, QRS and QT against the training data's,
  and example plots (PNG pages marked SYNTHETIC) saved. Look at the plots: the numbers alone
  can be fooled.

This checks that the loop learns ECG-like output, not a quality claim (the issue's target is
>= 90 % of samples at 40-150 bpm after <= 20 minutes on CPU, with P-QRS-T visible). Timings
depend on the machine and its load; run it on a quiet machine for the record. The last line is
``RESULT hr_40_150_fraction=<fraction>``. The settings of the recorded runs and what they gave
are in docs/training.md ("Small models on CPU").

    python benchmarks/train_sanity.py [--minutes 20] [--out runs/sanity]
        [--config configs/cpu-small.toml | none]  # the settings; the options below override them
        [--model pulse2pulse] [--model-size 8] [--batch-size 16] [--lr 2e-4] [--n-critic 5]
        [--critic-lr 4e-4] [--ema 0.99] [--scale-uv 2000] [--augment-shift 0.125]
        [--min-width 16] [--highpass 0.5] [--phase-shuffle 2] [--mu-law 40] [--eval-every 100]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
NORMAL_SNOMED = "426783006"


def normal_records(target: Path) -> int:
    """Symlink the normal-rhythm records into ``target``; returns how many."""
    import pandas as pd

    ludb = pd.read_csv(SHARED / "ludb" / "ludb.csv")
    sinus = {str(i) for i, rhythm in zip(ludb["ID"], ludb["Rhythms"]) if str(rhythm).strip() == "Sinus rhythm"}
    n = 0
    for header in sorted((SHARED / "ludb" / "data").glob("*.hea")):
        if header.stem in sinus:
            for part in (header, header.with_suffix(".dat")):
                (target / part.name).symlink_to(part)  # LUDB "N", CinC "E..", "HR..": no clash
            n += 1
    for header in sorted((SHARED / "cinc2021-samples").glob("*.hea")):
        codes = [line.split(":", 1)[1].strip() for line in header.read_text().splitlines()
                 if line.startswith("# Dx:")]
        if codes and codes[0] == NORMAL_SNOMED:
            (target / header.name).symlink_to(header)
            (target / header.with_suffix(".mat").name).symlink_to(header.with_suffix(".mat"))
            n += 1
    return n


def p_bump_uv(batch) -> float:
    """Height (µV) of the P wave of lead II's median beat averaged over the ECGs of ``batch``."""
    from synthecg.measure import median_beats

    beats, _, _ = median_beats(batch.select(["II"]), before_ms=250.0)
    mean = np.nanmean(beats[:, 0], axis=0) * 1000.0  # mV -> µV; fiducial at 250 ms
    ms = np.arange(mean.size) * 1000.0 / batch.fs - 250.0
    return float(mean[(ms >= -250) & (ms <= -80)].max() - mean[0])


def beats_with_p(batch, min_uv: float = 40.0) -> float:
    """Share of lead II's beats (all ECGs of ``batch``) with an upright P wave of at least
    ``min_uv`` µV before them (peak above the mean of its onset and offset): "a P wave before
    every beat" as a number."""
    from synthecg.measure.delineation import condition, delineate_batch

    y = condition(batch.select(["II"]).to_units("mV").signals, batch.fs)
    marks = delineate_batch(y, batch.fs)
    beat = marks["valid"][:, 0] & marks["qrs_ok"][:, 0]
    at = {key: np.take_along_axis(y[:, 0], np.clip(marks[key][:, 0], 0, y.shape[-1] - 1), axis=-1)
          for key in ("p_on", "p_peak", "p_off")}
    height = (at["p_peak"] - 0.5 * (at["p_on"] + at["p_off"])) * 1000.0
    return float(np.mean((height >= min_uv) & marks["p_ok"][:, 0] & beat) / np.mean(beat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--config", default=str(ROOT / "configs" / "cpu-small.toml"),
                        help="TOML training config the options below override (default: "
                             "configs/cpu-small.toml; 'none' = the paper's defaults).")
    parser.add_argument("--model", default=None, choices=["pulse2pulse", "wavegan"])
    parser.add_argument("--model-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="Run directory (default: a temporary one).")
    parser.add_argument("--eval-every", type=int, default=None,
                        help="Fidelity proxy, sample plot and checkpoint every N generator steps.")
    parser.add_argument("--lr", type=float, default=None, help="Adam learning rate.")
    parser.add_argument("--n-critic", type=int, default=None, help="Critic steps per generator step.")
    parser.add_argument("--critic-lr", type=float, default=None, help="The critic's own learning rate (TTUR).")
    parser.add_argument("--min-width", type=int, default=None, help="Floor on the generator's hidden widths.")
    parser.add_argument("--highpass", type=float, default=None,
                        help="Baseline-wander removal of the training ECGs: high-pass cutoff in Hz.")
    parser.add_argument("--phase-shuffle", type=int, default=None,
                        help="The critic's phase-shuffle range in samples (0 = off).")
    parser.add_argument("--ema", type=float, default=None, help="EMA decay of the generator weights.")
    parser.add_argument("--augment-shift", type=float, default=None,
                        help="Time-shift augmentation of the critic's input, fraction of the window.")
    parser.add_argument("--scale-uv", type=float, default=None,
                        help="µV mapped to 1.0 (samples beyond it are clipped).")
    parser.add_argument("--mu-law", type=float, default=None,
                        help="μ of the μ-law companding of the training scale (0 = linear).")
    args = parser.parse_args()

    import torch

    from synthecg.generation import generate
    from synthecg.measure import measure
    from synthecg.models import load_generator
    from synthecg.plot import ecg_paper
    from synthecg.training import resolve_config, train

    work = Path(tempfile.mkdtemp(prefix="train-sanity-"))
    data_dir = work / "data"
    data_dir.mkdir()
    n_records = normal_records(data_dir)
    out = Path(args.out) if args.out else work / "run"
    if out.exists():
        shutil.rmtree(out)
    print(f"data: {n_records} normal-rhythm records (LUDB sinus rhythm + CinC 2021 426783006 only)")
    print(f"torch threads: {torch.get_num_threads()}")
    # Options left at None keep the config file's values, and those TrainConfig's defaults.
    every = args.eval_every
    config = resolve_config(None if args.config == "none" else args.config, model=args.model,
                            model_size=args.model_size, min_width=args.min_width,
                            batch_size=args.batch_size, seed=args.seed, lr=args.lr,
                            critic_lr=args.critic_lr, n_critic=args.n_critic, ema=args.ema,
                            augment_shift=args.augment_shift,
                            phase_shuffle=args.phase_shuffle, data_scale_uv=args.scale_uv,
                            data_mu_law=args.mu_law,
                            data_highpass_hz=args.highpass, steps=10**9, time_limit=args.minutes,
                            device="cpu", data_path=str(data_dir), eval_every=every,
                            sample_every=every, checkpoint_every=every)
    print(f"config: {args.config}; {config.model} d={config.model_size} min_width={config.min_width} "
          f"batch {config.batch_size}, lr {config.lr:g} (critic {config.critic_lr or config.lr:g}), "
          f"n_critic {config.n_critic}, EMA {config.ema:g}, augment_shift {config.augment_shift:g}, "
          f"phase shuffle {config.phase_shuffle}, "
          f"scale {config.data.scale_uv:g} µV, μ-law {config.data.mu_law:g}, "
          f"highpass {config.data.highpass_hz} Hz")
    started = time.perf_counter()
    result = train(config, out, progress=None, echo=print)
    seconds = time.perf_counter() - started
    rows = (out / "metrics.csv").read_text().splitlines()
    print(f"trained {result.step} generator steps ({result.step * config.n_critic} critic steps, "
          f"batch {config.batch_size}) in {seconds / 60:.1f} min: {result.step / seconds:.3f} steps/s")
    print(f"last metrics row: {rows[-1]}")
    if result.best_score is not None:
        print(f"best fidelity proxy {result.best_score:.3f} at step {result.best_step}")

    model = load_generator(out)
    print(f"generating 100 ECGs from {model.source} ({Path(model.source).name})")
    ecgs = generate(100, seed=1, model=model, leads=12)
    table = measure(ecgs)
    hr = table["heart_rate"].to_numpy(dtype=float)
    fraction = float(np.mean((hr >= 40) & (hr <= 150)))  # NaN compares False: counted outside
    from synthecg.data import read_split

    real_batch = read_split(out, "train")  # the training windows in integer µV
    real_uv = real_batch.signals.astype(np.float64)
    real_table = measure(real_batch)
    for name in ("heart_rate", "pr_interval", "qrs_duration", "qt_interval"):
        print(f"median {name}: synthetic {np.nanmedian(table[name]):.0f} "
              f"(measurable {table[name].notna().mean():.0%}), real {np.nanmedian(real_table[name]):.0f}")
    # "P-QRS-T visible" in numbers: a delineator marks *some* P wave in most ECGs, so compare
    # the waves' sizes with the real ones (lead II, where P, R and T are all upright).
    print("median amplitude in lead II (µV): " + ", ".join(
        f"{wave} {np.nanmedian(table[f'{wave.lower()}_amplitude_II']):.0f} synthetic, "
        f"{np.nanmedian(real_table[f'{wave.lower()}_amplitude_II']):.0f} real" for wave in "PRT"))
    # The same through the beats: the P bump of the mean (over ECGs) median beat of lead II,
    # 80-250 ms before the QRS fiducial, above the level at 250 ms. A P wave that comes before
    # some beats only, or at varying distances, is smaller here than the median amplitude says.
    print(f"P bump of the mean median beat in II: {p_bump_uv(ecgs):.0f} µV synthetic, "
          f"{p_bump_uv(real_batch):.0f} real")
    print(f"beats of lead II with a P wave of >= 40 µV before them: {beats_with_p(ecgs):.0%} synthetic, "
          f"{beats_with_p(real_batch):.0%} real")
    # The heart rate is a median interval: a generator that drops beats keeps a normal one.
    from synthecg.training.fidelity import rr_irregularity

    fs = config.data.fs
    synthetic_uv = ecgs.select(config.data.leads).signals.astype(np.float64)
    for name, signals in (("synthetic", synthetic_uv), ("real", real_uv)):
        cv = 10.0 ** rr_irregularity(signals, fs)
        print(f"beat-to-beat interval variation (SD / mean, pauses at the window's ends counted), "
              f"{name}: median {np.nanmedian(cv):.0%}, {np.mean(cv <= 0.1):.0%} of ECGs at 10 % or less")
    plots = out / "sanity-examples"
    plots.mkdir(exist_ok=True)
    for k in range(4):
        ecg_paper(ecgs[k], plots / f"example-{k}.png", dpi=100, overwrite=True)
    print(f"example plots: {plots}")
    # Heart rate alone is a weak check: the beat detector finds "beats" in the small blips of
    # an untrained generator (1 step: ~97 % in range). P, QRS and T all delineated is stricter.
    pqrst = float(table[["pr_interval", "qrs_duration", "qt_interval"]].notna().all(axis=1).mean())
    real_pqrst = float(real_table[["pr_interval", "qrs_duration", "qt_interval"]].notna().all(axis=1).mean())
    print(f"P-QRS-T delineated (PR, QRS and QT measurable): {pqrst:.0%} synthetic, {real_pqrst:.0%} real")
    # Delineation can be fooled too: trains of high-frequency bursts get P, QRS and T marks. An
    # ECG's power lies mostly below 40 Hz; compare that share with the real ECGs'.
    from synthecg.training.fidelity import HF_HZ, high_frequency_share

    real_hf, synthetic_hf = high_frequency_share(real_uv, fs), high_frequency_share(synthetic_uv, fs)
    limit = float(np.percentile(real_hf, 95))
    print(f"power above {HF_HZ:.0f} Hz: median {np.median(synthetic_hf):.1%} synthetic, "
          f"{np.median(real_hf):.1%} real; {np.mean(synthetic_hf <= limit):.0%} of synthetic ECGs at or "
          f"below the real 95th percentile ({limit:.1%})")
    print(f"heart rate in 40-150 bpm: {fraction:.0%} of 100 generated ECGs")
    print(f"RESULT hr_40_150_fraction={fraction:.3f}")


if __name__ == "__main__":
    main()
