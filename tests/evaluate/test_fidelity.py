"""fidelity(): real vs real near ideal, graded degradations monotone, plausibility counts."""

import json

import numpy as np
import pandas as pd
import pytest
from _degrade import DEGRADATIONS, real_halves

from synthecg import ECGBatch, SynthECGError
from synthecg.evaluate import fidelity
from synthecg.evaluate.fidelity import plausibility
from synthecg.leads import INDEPENDENT_8, expand_to_12
from synthecg.measure import measure


@pytest.fixture(scope="module")
def baseline():
    a, b, ma, mb = real_halves()
    return fidelity(a, b, real_measurements=ma, synthetic_measurements=mb, seed=0)


def test_real_vs_real_is_near_ideal(baseline):
    c2st = baseline.c2st
    assert c2st["auc_low"] < 0.5 < c2st["auc_high"] and c2st["auc"] < 0.7
    for name in ("clinical", "random_network"):
        metrics = baseline.embeddings[name]
        assert metrics["p_value"] > 0.05, name  # MMD cannot tell the halves apart
        assert metrics["recall"] >= 0.8 and metrics["coverage"] >= 0.8, name
    assert baseline.psd["mean"] < 0.2  # spectra within a factor ~1.6 on average
    plaus = baseline.plausibility.set_index("criterion")
    assert abs(plaus.loc["all", "real"] - plaus.loc["all", "synthetic"]) <= 0.15
    slopes = baseline.qt_rr
    assert 0.05 < slopes["real"]["slope"] < 0.5 and 0.05 < slopes["synthetic"]["slope"] < 0.5
    sizes = baseline.sizes
    assert sizes["n_embedded_per_set"] == sizes["n_real"] == sizes["n_synthetic"]


def test_result_is_json_safe_and_complete(baseline):
    d = baseline.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "NaN" not in text
    table = baseline.table
    assert {"heart_rate", "qtc_fridericia", "t_axis", "r_amplitude_V5", "st_level_aVF"} <= set(table["measurement"])
    assert (table["flag"] == (table["smd"].abs() > 0.2)).all()
    assert baseline.real_median_beats.shape[1] == 8 and baseline.real_median_beats.shape[0] == len(baseline.real_indices)
    assert len(d["qt_rr_scatter"]["real"]["rr_ms"]) == baseline.qt_rr["real"]["n"]
    assert d["plausibility"][6]["criterion"] == "limb_identities" and d["plausibility"][6]["real"] is None
    assert any("by construction" in note for note in baseline.notes)


UPRIGHT_T = ("I", "II", "V3", "V4", "V5", "V6")


def _t_smd(result):
    """Mean signed SMD of T amplitude over leads whose T wave is upright in normal ECGs."""
    t = result.table.set_index("measurement")["smd"]
    return float(np.mean([t[f"t_amplitude_{lead}"] for lead in UPRIGHT_T]))


# For each degradation, scores that must get worse at every step (sign +1: grows, -1: falls).
# Measured on 22 vs 22 ECGs: every score is not monotone for every degradation at this size
# (e.g. clinical MMD² for half-flattened T waves stays within the real-vs-real noise), so each
# degradation is held to the scores that should see it (docs/evaluation-metrics.md lists them all).
KEY_SCORES = {
    "noise": [("clinical mmd2", +1), ("random_network mmd2", +1), ("psd", +1)],
    "wrong_rate": [("heart_rate smd", -1), ("random_network mmd2", +1), ("psd", +1)],
    "flatten_t": [("c2st auc", +1), ("t smd", -1), ("random_network mmd2", +1)],
    "time_reverse": [("clinical mmd2", +1), ("clinical frechet", +1), ("c2st auc", +1)],
}


def _score(result, key):
    if key == "psd":
        return result.psd["mean"]
    if key == "c2st auc":
        return result.c2st["auc"]
    if key == "t smd":
        return _t_smd(result)
    if key == "heart_rate smd":
        return float(result.table.set_index("measurement").loc["heart_rate", "smd"])
    space, metric = key.split()
    return result.embeddings[space][metric]


@pytest.mark.parametrize("name", sorted(KEY_SCORES))
def test_degradation_makes_scores_monotonically_worse(baseline, name):
    a, b, ma, _ = real_halves()
    results = [baseline]
    for level in (0.5, 1.0):
        degraded = DEGRADATIONS[name](b, level)
        results.append(fidelity(a, degraded, real_measurements=ma,
                                synthetic_measurements=measure(degraded), seed=0))
    for key, sign in KEY_SCORES[name]:
        values = [sign * _score(r, key) for r in results]
        assert values[0] < values[1] < values[2], (name, key, values)
    # the strongest degradation is told apart from real by the classifier and the MMD test
    assert results[2].c2st["auc_low"] > 0.5, name
    assert results[2].embeddings["clinical"]["p_value"] < 0.05, name


def _bad_batch(a: ECGBatch) -> ECGBatch:
    """Six copies of the first real ECG broken one way each."""
    x = np.repeat(a.signals[:1].astype(np.int32), 6, axis=0)
    x[1, 3] = 0                                   # V2 flat
    x[2, 0] = np.clip(x[2, 0], -150, 150)         # lead I clipped at ±150 µV
    x[3] = np.tile(x[3][:, :1250], 4)             # ok signal (a repeated 2.5-s piece)
    return ECGBatch(x, a.fs, a.leads, "uV")


def test_plausibility_counts_constructed_bad_ecgs():
    a, _, _, _ = real_halves()
    bad = _bad_batch(a)
    m = measure(bad)
    m.loc[4, "heart_rate"] = 250.0  # beyond 30-220 bpm
    m.loc[5, "qtc_bazett"] = np.nan  # unmeasurable counts as outside
    shares, note = plausibility(bad, m)
    assert shares["no_flat_lead"] == pytest.approx(5 / 6)
    assert shares["no_clipped_lead"] == pytest.approx(5 / 6)
    assert shares["heart_rate_in_range"] <= 5 / 6 and shares["qtc_bazett_in_range"] <= 5 / 6
    assert shares["all"] <= 2 / 6
    assert shares["limb_identities"] is None and "by construction" in note
    # 12 leads: identities checked, a broken lead III is caught
    twelve = expand_to_12(bad)
    x = twelve.signals.copy()
    x[0, 2] = -x[0, 2]  # III with the wrong sign
    shares12, note12 = plausibility(ECGBatch(x, twelve.fs, twelve.leads, "uV"), m)
    assert note12 is None and shares12["limb_identities"] == pytest.approx(5 / 6)


def test_refuses_incomparable_or_tiny_sets():
    a, b, _, _ = real_halves()
    with pytest.raises(SynthECGError, match="not comparable"):
        fidelity(a, ECGBatch(b.signals[:, :, :4000], b.fs, b.leads, "uV"))
    with pytest.raises(SynthECGError, match="synthetic: 1 ECGs"):
        fidelity(a, b[:1])
    with pytest.raises(SynthECGError, match="real_measurements"):
        fidelity(a, b, real_measurements=pd.DataFrame({"x": [1.0]}))
    with pytest.raises(SynthECGError, match="synthetic_measurements: columns heart_rate"):
        fidelity(a, b, synthetic_measurements=pd.DataFrame({"x": np.zeros(len(b))}))
    with pytest.raises(SynthECGError, match="V1"):
        fidelity(a.select(["I", "II"]), b.select(["I", "II"]))
    assert tuple(a.leads) == INDEPENDENT_8


def test_cached_median_beats_give_the_same_result(baseline):
    from synthecg.measure import median_beats

    a, b, ma, mb = real_halves()
    cached = fidelity(a, b, real_measurements=ma, synthetic_measurements=mb, seed=0,
                      real_median_beats=median_beats(a)[0], synthetic_median_beats=median_beats(b)[0])
    assert cached.embeddings["clinical"]["mmd2"] == pytest.approx(baseline.embeddings["clinical"]["mmd2"])
    assert cached.c2st["auc"] == pytest.approx(baseline.c2st["auc"])
    with pytest.raises(SynthECGError, match="synthetic_median_beats"):
        fidelity(a, b, real_measurements=ma, synthetic_measurements=mb,
                 synthetic_median_beats=np.zeros((3, 8, 10)))


def test_import_stays_light():
    import subprocess
    import sys

    code = ("import sys, synthecg.evaluate; "
            "print(any(m in sys.modules for m in ('torch', 'sklearn', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_twelve_lead_and_millivolt_input():
    a, b, ma, mb = real_halves()
    a12, b12 = expand_to_12(a), expand_to_12(b)
    result = fidelity(a12, b12, real_measurements=ma, synthetic_measurements=mb, seed=0,
                      max_embedded=12)
    plaus = result.plausibility.set_index("criterion")
    assert plaus.loc["limb_identities", "real"] == 1.0 and plaus.loc["limb_identities", "synthetic"] == 1.0
    assert not any("by construction" in n for n in result.notes)
    assert list(result.psd["table"]["lead"]) == list(a12.leads)
    assert result.sizes["n_embedded_per_set"] == 12 and any("subsamples of 12" in n for n in result.notes)
    # units do not change the answer: the same ECGs in mV give the same embeddings
    in_mv = fidelity(a12, b12.to_units("mV"), real_measurements=ma, synthetic_measurements=mb, seed=0, max_embedded=12)
    assert in_mv.embeddings["random_network"]["mmd2"] == pytest.approx(
        result.embeddings["random_network"]["mmd2"], abs=1e-4)
