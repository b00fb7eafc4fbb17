"""diversity(): real halves raise no alarm; a collapsed generator does, for the stated reasons."""

import json

import numpy as np
import pytest
from _degrade import real_halves

from synthecg import ECGBatch
from synthecg.evaluate import diversity
from synthecg.evaluate.diversity import exact_duplicates, near_duplicates
from synthecg.measure import measure


def test_real_halves_are_diverse():
    a, b, ma, mb = real_halves()
    result = diversity(a, b, real_measurements=ma, synthetic_measurements=mb, seed=0)
    assert not result.alarm, result.reasons
    assert 0.8 < result.distance_ratio < 1.25
    assert result.near_duplicate_rate <= 2 / len(b) and result.exact_duplicates == 0
    assert 0.5 < result.median_variance_ratio < 2.0
    assert result.recall >= 0.7 and result.coverage >= 0.7
    d = result.to_dict()
    json.dumps(d, allow_nan=False)
    assert sum(d["pairwise"]["histogram"]["real"]) <= len(a) * (len(a) - 1) // 2
    assert set(d["thresholds"]) == {"distance_ratio_below", "near_duplicate_rate_above",
                                    "median_variance_ratio_below", "recall_below"}


def test_collapsed_generator_raises_the_alarm():
    a, _, ma, _ = real_halves()
    # a generator that found 2 ECGs and adds barely any noise to them
    rng = np.random.default_rng(0)
    x = a.signals[[0, 1] * 11].astype(np.int32) + rng.integers(-3, 4, (22, *a.signals.shape[1:]))
    collapsed = ECGBatch(x, a.fs, a.leads, "uV")
    result = diversity(a, collapsed, real_measurements=ma,
                       synthetic_measurements=measure(collapsed), seed=0)
    assert result.alarm
    # two modes: half the pairs still cross between them, so the median distance barely
    # moves; the near-duplicate rate, variance ratio and recall catch it
    assert result.distance_ratio < 1.0 and result.near_duplicate_rate > 0.5
    assert result.median_variance_ratio < 0.5 and result.recall < 0.3
    assert any("near-duplicate" in r for r in result.reasons)
    assert result.exact_duplicates == 0  # noisy copies are near, not exact, duplicates
    one = ECGBatch(x[::2], a.fs, a.leads, "uV")  # a single mode: distances collapse too
    single = diversity(a, one, real_measurements=ma, synthetic_measurements=measure(one))
    assert single.alarm and single.distance_ratio < 0.2
    exact = ECGBatch(a.signals[[0, 0, 1, 2, 2, 2]], a.fs, a.leads, "uV")
    assert exact_duplicates(exact) == 3


def test_near_duplicates_in_chunks():
    z = np.array([[0.0, 0.0], [0.0, 0.01], [5.0, 5.0], [9.0, 0.0], [9.0, 0.05], [20.0, 20.0]])
    rate, pairs = near_duplicates(z, threshold=0.1, chunk=len(z), seed=0)
    assert rate == pytest.approx(4 / 6) and pairs == [(0, 1), (3, 4)]
    # chunks of 2 only compare the pairs that share a chunk
    rate2, pairs2 = near_duplicates(z, threshold=0.1, chunk=2, seed=0)
    assert set(pairs2) <= {(0, 1), (3, 4)} and rate2 == pytest.approx(2 * len(pairs2) / 6)
