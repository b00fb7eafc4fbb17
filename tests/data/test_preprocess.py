import numpy as np
import pytest

from synthecg import ECGBatch, SynthECGError
from synthecg.data import crop_or_pad, notch, remove_baseline, resample


def test_resample_400_to_500_keeps_a_sine():
    t = np.arange(4000) / 400
    x = np.sin(2 * np.pi * 5 * t)
    y = resample(x, 500, fs=400)
    assert y.shape == (5000,)
    t5 = np.arange(5000) / 500
    np.testing.assert_allclose(y[200:-200], np.sin(2 * np.pi * 5 * t5)[200:-200], atol=1e-3)
    with pytest.raises(SynthECGError, match="fs"):
        resample(x, 500)


def test_resample_batch_stays_integer_microvolts(cinc2021):
    out = resample(cinc2021[:2], 250)
    assert out.fs == 250 and out.n_samples == 2500 and out.units == "uV"
    assert np.issubdtype(out.signals.dtype, np.integer)
    assert resample(cinc2021[:1], 500).signals is not None  # same rate: unchanged
    np.testing.assert_array_equal(resample(cinc2021[:1], 500).signals, cinc2021[:1].signals)


def test_crop_centre_and_pad_both_ends():
    x = np.arange(10)
    np.testing.assert_array_equal(crop_or_pad(x, 4), [3, 4, 5, 6])
    np.testing.assert_array_equal(crop_or_pad(x, 4, crop="start"), [0, 1, 2, 3])
    np.testing.assert_array_equal(crop_or_pad(np.array([1, 2, 3]), 6), [0, 1, 2, 3, 0, 0])
    np.testing.assert_array_equal(crop_or_pad(np.array([1, 2, 3]), 6, pad="edge"), [1, 1, 2, 3, 3, 3])
    with pytest.raises(SynthECGError, match="length"):
        crop_or_pad(x, 0)


def test_baseline_removal_and_notch():
    fs = 500
    t = np.arange(5000) / fs
    ecg_like = np.sin(2 * np.pi * 10 * t)
    drift = 2.0 * np.sin(2 * np.pi * 0.1 * t)
    cleaned = remove_baseline(ecg_like + drift, fs=fs)
    assert np.abs(cleaned - ecg_like)[1000:-1000].max() < 0.02  # filtfilt edges settle within 2 s
    hum = 0.5 * np.sin(2 * np.pi * 50 * t)
    filtered = notch(ecg_like + hum, fs=fs, freq_hz=50)
    assert np.abs(filtered - ecg_like)[500:-500].max() < 0.05
    batch = ECGBatch(signals=np.rint((ecg_like + drift) * 1000).astype(np.int32)[None, None],
                     fs=fs, leads=("II",))
    out = remove_baseline(batch)
    assert out.units == "uV" and np.abs(out.signals[0, 0, 1000:-1000] - ecg_like[1000:-1000] * 1000).max() < 20
