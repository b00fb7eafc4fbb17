"""Fréchet distance, MMD², PRDC, the 1-D comparisons and the C2ST against known answers."""

import numpy as np
import pytest

from synthecg.errors import SynthECGError
from synthecg.evaluate.c2st import bootstrap_auc_interval, c2st, roc_auc
from synthecg.evaluate.distances import compare_1d, frechet_distance, mmd2_rbf, prdc


def gaussian(n, mean, sd, seed):
    return np.random.default_rng(seed).normal(mean, sd, (n, len(sd)))


def test_frechet_matches_closed_form_for_gaussians():
    # diagonal covariances: |mu1 - mu2|² + sum (s1 - s2)² exactly
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([2.0, 1.0, 0.5])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((s1 - s2) ** 2)
    got = frechet_distance(gaussian(40000, mu1, s1, 0), gaussian(40000, mu2, s2, 1))
    assert got == pytest.approx(expected, rel=0.03)
    same = frechet_distance(gaussian(40000, mu1, s1, 2), gaussian(40000, mu1, s1, 3))
    assert same < 0.01
    # singular covariances (fewer samples than dimensions) stay finite and non-negative
    few = frechet_distance(gaussian(5, np.zeros(20), np.ones(20), 4), gaussian(5, np.zeros(20), np.ones(20), 5))
    assert np.isfinite(few) and few >= 0


def test_mmd_detects_a_shift_and_not_a_resample():
    d = np.ones(4)
    same = mmd2_rbf(gaussian(150, np.zeros(4), d, 0), gaussian(150, np.zeros(4), d, 1), seed=0)
    shifted = mmd2_rbf(gaussian(150, np.zeros(4), d, 0), gaussian(150, np.full(4, 0.5), d, 1), seed=0)
    assert abs(same["mmd2"]) < 0.01 and same["p_value"] > 0.05
    assert shifted["mmd2"] > 0.05 and shifted["p_value"] <= 1 / 200 + 1e-9
    # median heuristic: |x - y|² of standard normals in 4-D is 2 chi²(4), whose median is
    # ~ 4 (1 - 2 / 36)³ (Wilson-Hilferty)
    assert same["bandwidth"] == pytest.approx(np.sqrt(2 * 4 * (1 - 2 / 36) ** 3), rel=0.05)


def test_prdc_known_cases():
    k = 5
    real, twin = gaussian(1500, np.zeros(3), np.ones(3), 0), gaussian(1500, np.zeros(3), np.ones(3), 1)
    same = prdc(real, twin, k=k)
    # Naeem et al. 2020: equal distributions give density ~1 and coverage ~1 - 2^-k
    assert same["density"] == pytest.approx(1.0, abs=0.1)
    assert same["coverage"] == pytest.approx(1 - 2 ** -k, abs=0.03)
    assert same["precision"] > 0.95 and same["recall"] > 0.95
    far = prdc(real, gaussian(1500, np.full(3, 50.0), np.ones(3), 2), k=k)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0, "k": k}
    # a generator stuck in one corner of the real distribution: realistic but not diverse
    corner = prdc(real, gaussian(1500, np.full(3, 1.0), np.full(3, 0.2), 3), k=k)
    assert corner["precision"] > 0.9 and corner["recall"] < 0.3 and corner["coverage"] < 0.4


def test_compare_1d_and_bad_input():
    r = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    s = r[:4] + 2.0
    out = compare_1d(r, s)
    assert out["n_real"] == 4 and out["smd"] == pytest.approx(2.0 / np.std(r[:4], ddof=1))
    assert out["ks"] == pytest.approx(0.5) and out["wasserstein"] == pytest.approx(2.0)
    with pytest.raises(SynthECGError, match="NaN"):
        frechet_distance(np.array([[np.nan], [1.0]]), np.array([[0.0], [1.0]]))
    with pytest.raises(SynthECGError, match="at least 6"):
        prdc(np.zeros((3, 2)), np.zeros((3, 2)), k=5)


def test_c2st_separates_what_differs_and_names_it():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(120, 4))
    synthetic = rng.normal(size=(120, 4))
    synthetic[:, 2] += 1.5  # only feature "c" differs
    out = c2st(real, synthetic, ["a", "b", "c", "d"], seed=0)
    assert out["auc"] > 0.8 and out["auc_low"] < out["auc"] < out["auc_high"]
    assert out["importance"][0]["feature"] == "c"
    null = c2st(real, rng.normal(size=(120, 4)), ["a", "b", "c", "d"], seed=0)
    assert null["auc_low"] < 0.5 + 0.05 and null["auc"] < 0.65


def test_bootstrap_interval_matches_resampling_loop():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(60), np.ones(60)].astype(int)
    score = np.round(rng.normal(size=120) + 0.6 * y, 1)  # ties on purpose
    low, high = bootstrap_auc_interval(y, score, 500, seed=3)
    from synthecg._seeding import rng_for

    draw = rng_for(3, 2).integers(0, 120, (500, 120))
    values = [roc_auc(y[p], score[p]) for p in draw]
    assert (low, high) == pytest.approx(tuple(np.quantile(values, [0.025, 0.975])))
