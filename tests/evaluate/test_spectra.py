"""Per-lead Welch PSD distance: zero for the same set, larger where a lead was disturbed."""

import numpy as np
from _degrade import real_halves

from synthecg import ECGBatch
from synthecg.evaluate.spectra import mean_log_psd, psd_distance


def test_psd_distance_is_zero_for_itself_and_finds_the_noisy_lead():
    a, _, _, _ = real_halves()
    same = psd_distance(a, a)
    assert same["mean"] == 0.0 and list(same["table"]["lead"]) == list(a.leads)
    x = a.signals.astype(np.int32).copy()
    x[:, 4] += np.random.default_rng(0).normal(0, 100, x[:, 4].shape).astype(np.int32)  # V3 +0.1 mV noise
    noisy = psd_distance(a, ECGBatch(x, a.fs, a.leads, "uV"))
    per_lead = noisy["table"].set_index("lead")["log_psd_distance"]
    assert per_lead.idxmax() == "V3" and per_lead["V3"] > 0.3
    assert per_lead.drop("V3").max() == 0.0
    assert noisy["band_hz"] == [0.5, 100.0] and noisy["freqs"][0] == 0.5
    assert noisy["real_log_psd"].shape == (8, len(noisy["freqs"]))


def test_units_do_not_matter():
    a, _, _, _ = real_halves()
    f1, p1 = mean_log_psd(a)
    f2, p2 = mean_log_psd(a.to_units("mV"))
    assert np.allclose(p1, p2, atol=1e-4) and np.array_equal(f1, f2)


def test_welch_matches_scipy_and_large_sets_are_subsampled():
    from scipy.signal import welch

    a, _, _, _ = real_halves()
    freqs, log_psd = mean_log_psd(a[:3])
    f_ref, p_ref = welch(a[:3].to_units("mV").signals.astype(np.float64), fs=a.fs, nperseg=1000)
    assert np.array_equal(freqs, f_ref)
    assert np.allclose(log_psd, np.log10(np.maximum(p_ref, 1e-12)).mean(axis=0), atol=2e-3)
    big = psd_distance(a, a[::-1], max_ecgs=10, seed=0)
    assert big["n_real"] == big["n_synthetic"] == 10 and big["mean"] > 0
