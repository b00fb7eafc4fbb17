"""Diversity: do the synthetic ECGs vary as much as the real ones, or has the generator
collapsed onto a few modes?

Everything is measured in the measurement space: the clinical measurements of
:mod:`.embeddings` (globals and amplitudes of the 8 independent leads), NaN imputed with the
real median and standardised with the real mean and SD. It exists for every ECG at no extra
cost once the measurements are cached, so all synthetic ECGs count (median beats and the
random network would need a pass over every synthetic ECG).

- within-set pairwise distances: seeded subsamples of equal size; ratio of medians
  synthetic / real (1 ideal; a collapsed generator's ECGs lie close together);
- near-duplicates: synthetic ECGs whose nearest synthetic neighbour is closer than the closest
  pair of c = min(n_real, 1000) real ECGs; synthetic ECGs are searched in chunks of c, so
  both sides offer each ECG the same number of candidate neighbours (about 2 / c of a sample
  from the real distribution would qualify); plus synthetic ECGs identical sample for sample
  to another;
- variance ratio (synthetic / real) of every measurement;
- recall and coverage (k = 5) on equal-size subsamples.

The mode-collapse alarm sounds when any of :data:`ALARM` is crossed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist, pdist

from .._seeding import rng_for
from ..ecg import ECGBatch
from ._jsonable import jsonable
from .distances import prdc
from .embeddings import Z_CLIP, imputed_statistics, measurement_matrix
from .fidelity import (GLOBAL_MEASUREMENTS, check_pair, measurements_for, paired_measurements,
                       seeded_subsample, single_threaded)

MAX_PAIRWISE = 1000  # ECGs per set whose pairwise distances are compared
HISTOGRAM_BINS = 40
# Alarm thresholds: each a clear sign of collapse, not of mere imperfection.
ALARM = {
    "distance_ratio_below": 0.7,       # synthetic ECGs 30 % closer together than real ones
    "near_duplicate_rate_above": 0.05,  # > 5 % of synthetic ECGs have a near-twin
    "median_variance_ratio_below": 0.5,  # global measurements vary half as much as real
    "recall_below": 0.3,                # < 30 % of real ECGs have a synthetic neighbour
}


@dataclass
class DiversityResult:
    """What :func:`diversity` measured (see the module docstring).

    ``pairwise``: per set the 5/25/50/75/95 % quantiles of within-set distances and a
    histogram on shared bins (for the report); ``distance_ratio``: median synthetic / median
    real. ``near_duplicate_threshold``: the closest real-real distance (c real ECGs); ``near_duplicate_rate``
    and ``near_duplicate_pairs`` (synthetic index pairs, at most 100 listed);
    ``exact_duplicates``: synthetic ECGs equal to an earlier one sample for sample.
    ``table``: variance ratio per measurement; ``median_variance_ratio`` over the globals.
    ``recall`` / ``coverage``: PRDC in measurement space. ``alarm``: True when any threshold of
    ``thresholds`` is crossed, with ``reasons``. ``sizes``: the subsample sizes and seed.
    """

    distance_ratio: float
    pairwise: dict
    near_duplicate_threshold: float
    near_duplicate_rate: float
    near_duplicate_pairs: list
    exact_duplicates: int
    table: pd.DataFrame
    median_variance_ratio: float
    recall: float
    coverage: float
    alarm: bool
    reasons: list
    sizes: dict
    thresholds: dict

    def to_dict(self) -> dict:
        return jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


@single_threaded
def diversity(real: ECGBatch, synthetic: ECGBatch, *, real_measurements=None,
              synthetic_measurements=None, seed: int = 0) -> DiversityResult:
    """Diversity of ``synthetic`` against ``real`` (comparable ECGBatch sets, >= 6 ECGs each).

    ``real_measurements`` / ``synthetic_measurements``: ``synthecg.measure.measure``
    DataFrames of the same ECGs (computed here when not given). ``seed`` fixes the subsamples.
    """
    check_pair(real, synthetic)
    real_m = measurements_for(real, real_measurements, "real_measurements")
    syn_m = measurements_for(synthetic, synthetic_measurements, "synthetic_measurements")
    z_real, z_syn = measurement_space(real_m, syn_m)

    m = int(min(len(real), len(synthetic), MAX_PAIRWISE))
    real_idx = seeded_subsample(len(real), m, seed, 20)
    syn_idx = seeded_subsample(len(synthetic), m, seed, 21)
    d_real, d_syn = pdist(z_real[real_idx]), pdist(z_syn[syn_idx])
    ratio = float(np.median(d_syn) / np.median(d_real)) if np.median(d_real) > 0 else np.nan
    pairwise = {"real": _quantiles(d_real), "synthetic": _quantiles(d_syn),
                "histogram": _histogram(d_real, d_syn)}

    # closest real pair among `chunk` real ECGs; synthetic ECGs are searched in chunks of the
    # same size, so both sides offer each ECG the same number of candidate neighbours
    chunk = int(min(len(real), MAX_PAIRWISE))
    threshold = float(pdist(z_real[seeded_subsample(len(real), chunk, seed, 23)]).min())
    rate, pairs = near_duplicates(z_syn, threshold, chunk=chunk, seed=seed)
    exact = exact_duplicates(synthetic)

    table = variance_table(real_m, syn_m)
    globals_ = table[table["measurement"].isin(GLOBAL_MEASUREMENTS)]["variance_ratio"]
    median_vr = float(np.nanmedian(globals_)) if np.isfinite(globals_).any() else np.nan
    nn = prdc(z_real[real_idx], z_syn[syn_idx], k=5)

    reasons = []
    if np.isfinite(ratio) and ratio < ALARM["distance_ratio_below"]:
        reasons.append(f"pairwise-distance ratio {ratio:.2f} < {ALARM['distance_ratio_below']}")
    if rate > ALARM["near_duplicate_rate_above"]:
        reasons.append(f"near-duplicate rate {rate:.3f} > {ALARM['near_duplicate_rate_above']}")
    if exact > 0:
        reasons.append(f"{exact} synthetic ECGs are exact copies of another synthetic ECG")
    if np.isfinite(median_vr) and median_vr < ALARM["median_variance_ratio_below"]:
        reasons.append(f"median variance ratio {median_vr:.2f} < {ALARM['median_variance_ratio_below']}")
    if nn["recall"] < ALARM["recall_below"]:
        reasons.append(f"recall {nn['recall']:.2f} < {ALARM['recall_below']}")
    sizes = {"n_real": int(len(real)), "n_synthetic": int(len(synthetic)),
             "n_pairwise_per_set": m, "near_duplicate_chunk": chunk, "seed": int(seed)}
    return DiversityResult(
        distance_ratio=ratio, pairwise=pairwise, near_duplicate_threshold=threshold,
        near_duplicate_rate=rate, near_duplicate_pairs=pairs[:100], exact_duplicates=exact,
        table=table, median_variance_ratio=median_vr, recall=nn["recall"],
        coverage=nn["coverage"], alarm=bool(reasons), reasons=reasons, sizes=sizes,
        thresholds=dict(ALARM))


def measurement_space(real_m: pd.DataFrame, synthetic_m: pd.DataFrame
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Both sets' measurements (CLINICAL_FEATURES), NaN -> real median, standardised with the
    real mean and SD (floored, clipped as in the clinical embedding): (n_real, d) and
    (n_synthetic, d) float64."""
    x_real, x_syn = measurement_matrix(real_m), measurement_matrix(synthetic_m)
    median, mean, sd = imputed_statistics(x_real)
    x_real = np.where(np.isfinite(x_real), x_real, median)
    x_syn = np.where(np.isfinite(x_syn), x_syn, median)
    return (np.clip((x_real - mean) / sd, -Z_CLIP, Z_CLIP),
            np.clip((x_syn - mean) / sd, -Z_CLIP, Z_CLIP))


def near_duplicates(z: np.ndarray, threshold: float, chunk: int, seed: int
                    ) -> tuple[float, list[tuple[int, int]]]:
    """Share of rows whose nearest neighbour within their chunk is closer than ``threshold``,
    and the (i, j) index pairs found. Rows are shuffled (seeded) into chunks of ``chunk``."""
    order = rng_for(seed, 22).permutation(len(z))
    chunk = max(int(chunk), 2)
    flagged = np.zeros(len(z), dtype=bool)
    pairs = []
    for start in range(0, len(z), chunk):
        rows = order[start:start + chunk]
        if len(rows) < 2:
            continue
        d = cdist(z[rows], z[rows])
        np.fill_diagonal(d, np.inf)
        close = d < threshold
        flagged[rows[close.any(axis=1)]] = True
        for a, b in zip(*np.nonzero(np.triu(close, k=1))):
            pairs.append((int(min(rows[a], rows[b])), int(max(rows[a], rows[b]))))
    return float(flagged.mean()), sorted(pairs)


def exact_duplicates(batch: ECGBatch) -> int:
    """Number of ECGs identical (every sample) to an earlier ECG of the batch."""
    seen, count = set(), 0
    for x in batch.signals:
        key = hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=16).digest()
        count += key in seen
        seen.add(key)
    return count


def variance_table(real_m: pd.DataFrame, synthetic_m: pd.DataFrame) -> pd.DataFrame:
    """Per measurement: real and synthetic variance (NaN dropped) and their ratio syn / real."""
    rows = []
    for column, kind, r, s in paired_measurements(real_m, synthetic_m):
        r, s = r[np.isfinite(r)], s[np.isfinite(s)]
        vr = np.var(r, ddof=1) if r.size > 1 else np.nan
        vs = np.var(s, ddof=1) if s.size > 1 else np.nan
        ratio = vs / vr if np.isfinite(vr) and vr > 0 and np.isfinite(vs) else np.nan
        rows.append({"measurement": column, "kind": kind, "real_variance": vr,
                     "synthetic_variance": vs, "variance_ratio": ratio})
    return pd.DataFrame(rows)


def _quantiles(d: np.ndarray) -> dict:
    q = np.quantile(d, [0.05, 0.25, 0.5, 0.75, 0.95]) if d.size else [np.nan] * 5
    return {"q05": q[0], "q25": q[1], "median": q[2], "q75": q[3], "q95": q[4], "n_pairs": int(d.size)}


def _histogram(d_real: np.ndarray, d_syn: np.ndarray) -> dict:
    both = np.concatenate([d_real, d_syn])
    edges = np.linspace(0.0, float(np.quantile(both, 0.995)) if both.size else 1.0, HISTOGRAM_BINS + 1)
    return {"edges": edges, "real": np.histogram(d_real, edges)[0],
            "synthetic": np.histogram(d_syn, edges)[0]}

