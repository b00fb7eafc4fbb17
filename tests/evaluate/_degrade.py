"""Real ECGs and graded degradations of them, for the evaluator's self-test (issue 8, item 7).

Each degradation takes an int µV ECGBatch and a level in [0, 1] (0 = unchanged) and returns a
batch of the same shape, fs and leads, so it can stand for a "synthetic" set.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pandas as pd

from synthecg import ECGBatch
from synthecg._seeding import rng_for
from synthecg.ecg import to_integer_uv
from synthecg.leads import INDEPENDENT_8
from synthecg.measure.delineation import condition, detect_beats

from _realdata import shared, wfdb_batch


def real_normal_ecgs(n_ludb: int = 36) -> ECGBatch:
    """8 independent leads, 500 Hz, 5000 samples, int µV: LUDB sinus-rhythm records without
    pacing and the CinC 2021 records labelled sinus rhythm only, interleaved."""
    folder = shared("ludb")
    table = pd.read_csv(folder / "ludb.csv")
    ok = table[(table["Rhythms"] == "Sinus rhythm") & table["Cardiac pacing"].isna()]
    ludb = wfdb_batch(folder / "data", [str(i) for i in ok["ID"].tolist()[:n_ludb]])
    cinc_folder = shared("cinc2021-samples")
    names = [p.stem for p in sorted(cinc_folder.glob("*.hea"))
             if _dx(p) == ["426783006"]]
    cinc = wfdb_batch(cinc_folder, names)
    both = ECGBatch.concat([ludb.select(INDEPENDENT_8).to_units("uV"),
                            ECGBatch(cinc.select(INDEPENDENT_8).signals.astype(np.int32), cinc.fs,
                                     INDEPENDENT_8, "uV", cinc.meta)])
    # interleave the two sources so that both halves (even / odd positions) hold both
    order = np.argsort(np.r_[np.linspace(0, 1, len(ludb)), np.linspace(0, 1, len(cinc))], kind="stable")
    return both[order]


def _dx(header) -> list[str]:
    for line in header.read_text().splitlines():
        if line.startswith("# Dx:"):
            return [c.strip() for c in line[5:].split(",")]
    return []


def _rebuild(batch: ECGBatch, x_mv: np.ndarray) -> ECGBatch:
    return ECGBatch(to_integer_uv(x_mv * 1000.0), batch.fs, batch.leads, "uV", batch.meta)


def _mv(batch: ECGBatch) -> np.ndarray:
    return batch.to_units("mV").signals.astype(np.float64)


def add_noise(batch: ECGBatch, level: float, seed: int = 0) -> ECGBatch:
    """White Gaussian noise of SD ``0.25 * level`` mV."""
    x = _mv(batch)
    noise = np.stack([rng_for(seed, i).normal(0.0, 1.0, x.shape[1:]) for i in range(len(x))])
    return _rebuild(batch, x + 0.25 * level * noise)


def wrong_rate(batch: ECGBatch, level: float) -> ECGBatch:
    """Time stretched by 1 + 0.8 * level (a recording at 500 / (1 + 0.8 level) Hz labelled
    500 Hz), first 5000 samples kept: slower heart rate, longer intervals."""
    from scipy.signal import resample_poly

    ratio = Fraction(1.0 + 0.8 * level).limit_denominator(50)
    x = resample_poly(_mv(batch), ratio.numerator, ratio.denominator, axis=-1)
    return _rebuild(batch, x[..., :batch.n_samples])


def flatten_t(batch: ECGBatch, level: float) -> ECGBatch:
    """The ST-T segment (R + 100 ms to R + min(450 ms, 0.65 RR), tapered) of every beat loses
    ``level`` of its high-passed content: T waves shrink towards the baseline."""
    from scipy.signal.windows import tukey

    x = _mv(batch)
    fs = batch.fs
    out = x.copy()
    for i in range(len(x)):
        y = condition(x[i], fs)  # high-passed leads (baseline wander removed)
        beats = detect_beats(y, fs)
        mask = np.zeros(x.shape[-1])
        rr = np.median(np.diff(beats)) if beats.size > 1 else fs
        start, stop = int(0.10 * fs), int(min(0.45 * fs, 0.65 * rr))
        window = tukey(stop - start, 0.3)
        for r in beats:
            lo, hi = r + start, min(r + stop, x.shape[-1])
            if lo < hi:
                mask[lo:hi] = np.maximum(mask[lo:hi], window[:hi - lo])
        out[i] = x[i] - level * mask * y
    return _rebuild(batch, out)


def time_reverse(batch: ECGBatch, level: float) -> ECGBatch:
    """The first ``round(level * n)`` ECGs (of a fixed shuffled order) played backwards."""
    x = batch.signals.copy()
    k = int(round(level * len(x)))
    pick = rng_for(0, 99).permutation(len(x))[:k]
    x[pick] = x[pick, :, ::-1]
    return ECGBatch(x, batch.fs, batch.leads, batch.units, batch.meta)


DEGRADATIONS = {"noise": add_noise, "wrong_rate": wrong_rate, "flatten_t": flatten_t,
                "time_reverse": time_reverse}


@functools.lru_cache(maxsize=1)
def real_halves():
    """Two random halves (seed 0) of :func:`real_normal_ecgs`, stratified by source (LUDB and
    CinC 2021 amplitudes differ, so an unstratified split can put a real difference between
    the halves), and their measurements: ``(a, b, measurements_a, measurements_b)``; cached
    for the whole test session."""
    from synthecg.measure import measure

    real = real_normal_ecgs()
    is_ludb = np.array([m["source"].isdigit() for m in real.meta])
    rng = rng_for(0, 7)
    first, second = [], []
    for group in (np.nonzero(is_ludb)[0], np.nonzero(~is_ludb)[0]):
        group = rng.permutation(group)
        first += list(group[0::2])
        second += list(group[1::2])
    size = min(len(first), len(second))
    a, b = real[np.sort(first[:size])], real[np.sort(second[:size])]
    return a, b, measure(a), measure(b)
