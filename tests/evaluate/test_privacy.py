"""Privacy audit on real records: a memorising generator fails, real vs real passes, a broken
control makes the verdict inconclusive, copies are found where they were put."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _realdata import shared

from synthecg import ECGBatch, SynthECGError
from synthecg.evaluate import PrivacyAudit, privacy_audit
from synthecg.evaluate import privacy as privacy_module
from synthecg.leads import INDEPENDENT_8


@pytest.fixture(scope="module")
def pool() -> dict[str, ECGBatch]:
    """cinc2021 + LUDB + CODE-15 at 500 Hz, 5000 samples, 8 independent leads, in mV, split at
    random (fixed seed) into train 150 / holdout 100 / other (never in either) 123."""
    from synthecg import io

    parts = [io.read(shared(name), fs=500, length=5000, leads=INDEPENDENT_8).to_units("mV")
             for name in ("cinc2021-samples", "ludb", "code15-subset")]
    batch = ECGBatch.concat(parts)
    # cinc2021 E07509 and E07510 are byte-identical recordings (the audit found them): keep one,
    # or a split that puts them on both sides has a true copy in "real vs real"
    _, first = np.unique(batch.signals.reshape(len(batch), -1), axis=0, return_index=True)
    batch = batch[np.sort(first)]
    order = np.random.default_rng(2026).permutation(len(batch))
    return {"train": batch[np.sort(order[:150])], "holdout": batch[np.sort(order[150:250])],
            "other": batch[np.sort(order[250:])]}


def memorise(train: ECGBatch, rows: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training records ``rows`` as a memorising generator would emit them: circularly shifted,
    each lead scaled by 0.92-1.08 and 15 µV of white noise added. Returns (signals mV, shifts)."""
    rng = np.random.default_rng(seed)
    x = train.signals[rows].astype(np.float64)
    shifts = rng.integers(0, x.shape[-1], len(rows))
    x = np.stack([np.roll(xi, s, axis=-1) for xi, s in zip(x, shifts)])
    x = x * rng.uniform(0.92, 1.08, (len(rows), x.shape[1], 1)) + rng.normal(0, 0.015, x.shape)
    return x.astype(np.float32), shifts


@pytest.fixture(scope="module")
def leaky(pool):
    """40 real ECGs of other people with 30 memorised training ECGs put at known positions."""
    train, other = pool["train"], pool["other"]
    copied = np.arange(2, 150, 5)[:30]                     # training rows that leak
    copies, shifts = memorise(train, copied, seed=1)
    signals = other.signals[:70].copy()
    where = np.sort(np.random.default_rng(3).choice(70, size=30, replace=False))
    signals[where] = copies
    return ECGBatch(signals, train.fs, train.leads, "mV"), where, copied, shifts


@pytest.fixture(scope="module")
def leaky_audit(pool, leaky) -> PrivacyAudit:
    return privacy_audit(pool["train"], pool["holdout"], leaky[0], seed=0)


@pytest.fixture(scope="module")
def real_audit(pool) -> PrivacyAudit:
    return privacy_audit(pool["train"], pool["holdout"], pool["other"], seed=0)


def test_memorising_generator_fails_and_controls_behave(leaky_audit):
    audit = leaky_audit
    assert audit.verdict == "fail"
    assert audit.components["copies"] == "fail"
    assert audit.controls["positive"]["behaved"] and audit.controls["negative"]["behaved"]
    assert audit.controls["positive"]["mia_auc"] >= 0.9
    assert audit.controls["positive"]["verdict"] == "fail"
    assert audit.controls["negative"]["verdict"] == "pass"
    json.dumps(audit.to_dict())                            # JSON-safe
    assert set(audit.to_dict()["thresholds"]) >= {"mia_auc_fail_lower", "mia_auc_pass_upper",
                                                   "dcr_share_fail_lower", "copy_p_value"}


def test_copies_are_found_at_their_indices(leaky_audit, leaky, pool):
    _, where, copied, shifts = leaky
    found = {c["synthetic_index"]: c for c in leaky_audit.copies}
    assert set(where.tolist()) <= set(found)               # every planted copy ...
    extra = set(found) - set(where.tolist())               # ... and at most chance exceedances
    assert len(extra) <= 3 and not any(found[i]["near_identical"] for i in extra)
    for position, row, shift in zip(where, copied, shifts):
        copy = found[int(position)]
        assert copy["near_identical"]
        assert copy["train_index"] == row
        assert copy["shift_samples"] == shift              # np.roll(train, shift) ~ synthetic
        assert copy["similarity"] > leaky_audit.copy_threshold
    table = leaky_audit.table
    assert {"test", "statistic", "value", "ci_low", "ci_high", "threshold", "outcome"} <= set(table)
    assert (table["test"] == "membership").sum() == 2 * len(leaky_audit.mia)


def test_real_versus_real_passes(real_audit):
    audit = real_audit
    assert audit.verdict == "pass", audit.reasons
    assert audit.copies == [] or audit.copy_test["p_value"] >= 0.01
    lo, hi = audit.dcr_interval
    assert lo <= 0.5 <= hi
    assert all(a["interval"][1] <= 0.7 for a in audit.mia.values())
    assert audit.sizes["dcr_train_subsample"] == 100


def test_a_control_that_misbehaves_makes_the_verdict_inconclusive(pool, monkeypatch):
    # sabotage: the "memorising" positive control gets fresh people instead of copies
    monkeypatch.setattr(privacy_module, "_positive_control", lambda train, seed: pool["other"])
    audit = privacy_audit(pool["train"], pool["holdout"], pool["other"], seed=0)
    assert not audit.controls["positive"]["behaved"]
    assert audit.verdict == "inconclusive"
    assert any("positive" in reason for reason in audit.reasons)


def test_without_holdout_only_copies_are_tested(pool, leaky):
    leaky_audit = privacy_audit(pool["train"], None, leaky[0], seed=0)
    assert leaky_audit.verdict == "fail"
    assert {c["synthetic_index"] for c in leaky_audit.copies} >= set(leaky[1].tolist())
    clean = privacy_audit(pool["train"], None, pool["other"], seed=0)
    assert clean.verdict == "inconclusive"
    assert clean.mia_auc is None and clean.dcr_closer_to_train is None
    assert len(clean.untested) == 3 and "negative" not in clean.controls
    assert clean.controls["positive"]["behaved"]


def test_deterministic_with_the_seed(pool, real_audit):
    again = privacy_audit(pool["train"], pool["holdout"], pool["other"], seed=0).to_dict()
    first = real_audit.to_dict()
    again.pop("timings"), first.pop("timings")
    assert again == first
    other_seed = privacy_audit(pool["train"], pool["holdout"], pool["other"], seed=1).to_dict()
    assert other_seed["dcr_interval"] != first["dcr_interval"]


def test_median_beats_from_the_caller_give_the_same_audit(pool, real_audit):
    from synthecg.measure import median_beats

    given = privacy_audit(pool["train"], pool["holdout"], pool["other"], seed=0,
                          median_beats={"synthetic": median_beats(pool["other"])}).to_dict()
    first = real_audit.to_dict()
    given.pop("timings"), first.pop("timings")
    assert given == first
    with pytest.raises(SynthECGError, match="median_beats"):
        privacy_audit(pool["train"], pool["holdout"], pool["other"],
                      median_beats={"synthetic": median_beats(pool["other"][:3])})


def test_bad_input_is_one_line(pool):
    train, holdout = pool["train"], pool["holdout"]
    with pytest.raises(SynthECGError, match="real_holdout: ECG .* copy of training ECG"):
        privacy_audit(train, ECGBatch.concat([holdout[:20], train[3:4]]), pool["other"][:10])
    short = ECGBatch(train.signals[:5, :, :2500], train.fs, train.leads, "mV")
    with pytest.raises(SynthECGError, match="synthetic: not comparable"):
        privacy_audit(train, holdout, short)
    with pytest.raises(SynthECGError, match="synthetic: no ECGs"):
        privacy_audit(train, holdout, train[:0])
    one = privacy_audit(train, holdout, pool["other"][:1])     # small, but a valid question
    assert one.sizes["synthetic"] == 1 and one.verdict in ("pass", "inconclusive")
    assert "density ratio" not in one.mia                      # no density from one ECG


def test_importing_the_audit_stays_light():
    import subprocess
    import sys

    code = ("import sys, synthecg.evaluate; "
            "print(sorted(m for m in ('torch', 'sklearn', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
