"""Distances between two samples of feature vectors: Fréchet distance, MMD² with a permutation
test, precision / recall / density / coverage, and the 1-D comparisons of the measurement table.

numpy in, numpy/floats out; every function takes ``real`` (n, d) and ``synthetic`` (m, d)
float arrays without NaN (the embeddings impute). Nothing here knows about ECGs.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from .._seeding import rng_for
from ..errors import SynthECGError


# --- Fréchet distance ------------------------------------------------------------------------

def frechet_distance(real: np.ndarray, synthetic: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two samples (as FID, Heusel et al. 2017).

    ``|mu_r - mu_s|² + tr(S_r + S_s - 2 (S_r S_s)^½)``, in squared feature units. The trace of
    the matrix square root is computed as the sum of square roots of the eigenvalues of the
    symmetric matrix ``S_r^½ S_s S_r^½`` (same eigenvalues as ``S_r S_s``), which stays real and
    stable when the covariances are singular (fewer ECGs than dimensions).
    """
    real, synthetic = _two_samples(real, synthetic, minimum=2)
    mu_r, mu_s = real.mean(axis=0), synthetic.mean(axis=0)
    cov_r = np.atleast_2d(np.cov(real, rowvar=False))
    cov_s = np.atleast_2d(np.cov(synthetic, rowvar=False))
    root_r = _psd_sqrt(cov_r)
    middle = root_r @ cov_s @ root_r
    eig = np.clip(np.linalg.eigvalsh((middle + middle.T) / 2.0), 0.0, None)
    value = float(np.sum((mu_r - mu_s) ** 2) + np.trace(cov_r) + np.trace(cov_s)
                  - 2.0 * np.sum(np.sqrt(eig)))
    return max(value, 0.0)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


# --- MMD² ------------------------------------------------------------------------------------

def mmd2_rbf(real: np.ndarray, synthetic: np.ndarray, *, n_permutations: int = 200,
             seed: int = 0) -> dict:
    """Unbiased MMD² with a Gaussian kernel and its permutation p-value.

    Kernel ``k(x, y) = exp(-|x - y|² / (2 sigma²))`` with sigma the median of the pairwise
    distances of the pooled sample (median heuristic). The p-value is the share of
    ``n_permutations`` random relabellings of the pooled sample (seeded) whose MMD² is at least
    the observed one, counting the observed labelling once: ``(1 + #{>=}) / (1 + P)``.
    Returns ``{"mmd2", "p_value", "bandwidth", "n_permutations"}``. Memory: the pooled
    (n + m)² kernel matrix, so callers subsample to a few thousand ECGs.
    """
    real, synthetic = _two_samples(real, synthetic, minimum=2)
    pooled = np.concatenate([real, synthetic]).astype(np.float64)
    n, total = len(real), len(pooled)
    sq = cdist(pooled, pooled, "sqeuclidean")
    upper = sq[np.triu_indices(total, k=1)]
    sigma2 = float(np.median(upper))
    if sigma2 <= 0:  # more than half the pairs identical: fall back to the mean distance
        sigma2 = float(upper.mean()) or 1.0
    kernel = np.exp(-sq / (2.0 * sigma2))
    np.fill_diagonal(kernel, 0.0)  # unbiased: self-similarities never count
    del sq

    labels = np.zeros((total, 1 + n_permutations))
    labels[:n, 0] = 1.0
    rng = rng_for(seed, 0)
    for p in range(1, 1 + n_permutations):
        labels[rng.permutation(total)[:n], p] = 1.0
    values = _mmd2_from_labels(kernel, labels, n, total - n)
    observed = float(values[0])
    p_value = (1.0 + np.sum(values[1:] >= observed)) / (1.0 + n_permutations)
    return {"mmd2": observed, "p_value": float(p_value), "bandwidth": float(np.sqrt(sigma2)),
            "n_permutations": int(n_permutations)}


def _mmd2_from_labels(kernel: np.ndarray, labels: np.ndarray, n: int, m: int) -> np.ndarray:
    """MMD² for every labelling at once: column j of ``labels`` marks the first group (n ones).

    With a = labels, b = 1 - a and K's diagonal zeroed, a'Ka, b'Kb and a'Kb are the three sums
    of the unbiased estimator; one matrix product serves every permutation.
    """
    ka = kernel @ labels  # (total, P)
    total_row = kernel.sum(axis=1, keepdims=True)
    aka = np.sum(labels * ka, axis=0)
    akb = np.sum(labels * (total_row - ka), axis=0)
    bkb = kernel.sum() - aka - 2.0 * akb
    return aka / (n * (n - 1)) + bkb / (m * (m - 1)) - 2.0 * akb / (n * m)


# --- precision / recall / density / coverage -------------------------------------------------

def prdc(real: np.ndarray, synthetic: np.ndarray, *, k: int = 5) -> dict:
    """Precision, recall, density and coverage of Naeem et al. (2020), k nearest neighbours.

    Each ECG gets a ball reaching its k-th nearest neighbour within its own set.
    precision: share of synthetic ECGs inside at least one real ball (realism);
    recall: share of real ECGs inside at least one synthetic ball (real variety covered);
    density: mean number of real balls holding a synthetic ECG, divided by k (1 when the two
    sets share a distribution, more when synthetic ECGs crowd the dense real regions);
    coverage: share of real ECGs whose ball holds a synthetic ECG (1 - 2^-k ≈ 0.97 for k = 5
    when the distributions are equal and the sets large and equal in size).
    Uses full distance matrices: callers subsample to equal sizes of a few thousand at most.
    """
    real, synthetic = _two_samples(real, synthetic, minimum=k + 1)
    radius_r = _kth_neighbour_distance(real, k)
    radius_s = _kth_neighbour_distance(synthetic, k)
    cross = cdist(real, synthetic)  # (n_real, n_synthetic)
    inside_real_ball = cross <= radius_r[:, None]
    return {
        "precision": float(inside_real_ball.any(axis=0).mean()),
        "recall": float((cross <= radius_s[None, :]).any(axis=1).mean()),
        "density": float(inside_real_ball.sum(axis=0).mean() / k),
        "coverage": float((cross.min(axis=1) <= radius_r).mean()),
        "k": int(k),
    }


def _kth_neighbour_distance(x: np.ndarray, k: int) -> np.ndarray:
    within = cdist(x, x)
    return np.partition(within, k, axis=1)[:, k]  # the 0-th smallest is the point itself


# --- 1-D comparisons -------------------------------------------------------------------------

def compare_1d(real: np.ndarray, synthetic: np.ndarray) -> dict:
    """Mean, SD, standardised mean difference, KS statistic and 1-D Wasserstein of two samples.

    NaN values are dropped first (``n_real`` / ``n_synthetic`` say how many remain). SMD =
    (mean_s - mean_r) / sqrt((sd_r² + sd_s²) / 2); it is NaN when both SDs are 0 and the
    means equal, infinite when they differ. Needs 2 values per side, else NaN.
    """
    from scipy.stats import ks_2samp, wasserstein_distance

    r = np.asarray(real, dtype=np.float64)
    s = np.asarray(synthetic, dtype=np.float64)
    r, s = r[np.isfinite(r)], s[np.isfinite(s)]
    out = {"real_mean": np.nan, "real_sd": np.nan, "synthetic_mean": np.nan,
           "synthetic_sd": np.nan, "smd": np.nan, "ks": np.nan, "wasserstein": np.nan,
           "n_real": int(r.size), "n_synthetic": int(s.size)}
    if r.size:
        out["real_mean"] = float(r.mean())
        out["real_sd"] = float(r.std(ddof=1)) if r.size > 1 else np.nan
    if s.size:
        out["synthetic_mean"] = float(s.mean())
        out["synthetic_sd"] = float(s.std(ddof=1)) if s.size > 1 else np.nan
    if r.size < 2 or s.size < 2:
        return out
    pooled = np.sqrt((out["real_sd"] ** 2 + out["synthetic_sd"] ** 2) / 2.0)
    diff = out["synthetic_mean"] - out["real_mean"]
    if pooled > 0:
        out["smd"] = float(diff / pooled)
    elif diff != 0:
        out["smd"] = float(np.sign(diff) * np.inf)
    out["ks"] = float(ks_2samp(r, s).statistic)
    out["wasserstein"] = float(wasserstein_distance(r, s))
    return out


def _two_samples(real, synthetic, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    real = np.asarray(real, dtype=np.float64)
    synthetic = np.asarray(synthetic, dtype=np.float64)
    if real.ndim == 1:
        real, synthetic = real[:, None], synthetic.reshape(-1, 1)
    if real.ndim != 2 or synthetic.ndim != 2 or real.shape[1] != synthetic.shape[1]:
        raise SynthECGError(f"features: expected (n, d) and (m, d) arrays, "
                            f"got {real.shape} and {synthetic.shape}")
    if len(real) < minimum or len(synthetic) < minimum:
        raise SynthECGError(f"features: need at least {minimum} rows per sample, "
                            f"got {len(real)} and {len(synthetic)}")
    if not (np.isfinite(real).all() and np.isfinite(synthetic).all()):
        raise SynthECGError("features: contain NaN or infinite values")
    return real, synthetic
