import numpy as np
import pytest

from synthecg import ECGBatch, SynthECGError
from synthecg.leads import (INDEPENDENT_8, STANDARD_12, expand_to_12, independent_8,
                            normalize_lead_name)


@pytest.mark.parametrize("raw, std", [("i", "I"), ("II", "II"), ("iii", "III"), ("avr", "aVR"),
                                      ("AVL", "aVL"), ("aVF", "aVF"), ("v1", "V1"), (" V6 ", "V6"),
                                      ("MLII", "II"), ("X", "X")])
def test_normalize_lead_name(raw, std):
    assert normalize_lead_name(raw) == std


def test_expand_matches_recorded_limb_leads_on_real_ecgs(cinc2021):
    """Carts record III/aVR/aVL/aVF themselves: the identities must reproduce them."""
    derived = expand_to_12(independent_8(cinc2021))
    assert derived.leads == STANDARD_12
    for lead in ("III", "aVR", "aVL", "aVF"):
        error = np.abs(derived.lead(lead).astype(int) - cinc2021.lead(lead).astype(int))
        assert np.median(error) <= 2, lead  # µV; the carts round each lead separately
    for lead in INDEPENDENT_8:
        np.testing.assert_array_equal(derived.lead(lead), cinc2021.lead(lead))


def test_identities_hold_within_rounding():
    rng = np.random.default_rng(1)
    x = rng.integers(-6000, 6000, size=(4, 8, 500)).astype(np.int16)
    b = expand_to_12(ECGBatch(signals=x, fs=500, leads=INDEPENDENT_8, units="uV"))
    i, ii, iii = (b.lead(n).astype(int) for n in ("I", "II", "III"))
    assert np.array_equal(i + iii, ii)
    total = sum(b.lead(n).astype(int) for n in ("aVR", "aVL", "aVF"))
    assert np.abs(total).max() <= 1
    assert b.signals.dtype == np.int16


def test_expand_widens_when_derived_leads_overflow_int16():
    x = np.zeros((1, 8, 4), dtype=np.int16)
    x[0, 0], x[0, 1] = -30000, 30000  # III = 60000 µV
    b = expand_to_12(ECGBatch(signals=x, fs=500, leads=INDEPENDENT_8, units="uV"))
    assert b.signals.dtype == np.int32 and b.lead("III").max() == 60000


def test_expand_in_millivolts_and_back_to_8():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 8, 50)).astype(np.float32)
    b = expand_to_12(ECGBatch(signals=x, fs=500, leads=INDEPENDENT_8, units="mV"))
    np.testing.assert_allclose(b.lead("aVR"), -(x[:, 0] + x[:, 1]) / 2, rtol=1e-6)
    back = independent_8(b)
    assert back.leads == INDEPENDENT_8
    np.testing.assert_array_equal(back.signals, x)


def test_expand_needs_the_independent_leads():
    b = ECGBatch(signals=np.zeros((1, 2, 5), np.int16), fs=500, leads=("I", "II"), units="uV")
    with pytest.raises(SynthECGError, match="missing V1"):
        expand_to_12(b)


def test_integer_rounding_equals_float_rint():
    rng = np.random.default_rng(3)
    x = rng.integers(-9000, 9000, size=(3, 8, 1000)).astype(np.int16)
    b = expand_to_12(ECGBatch(signals=x, fs=500, leads=INDEPENDENT_8, units="uV"))
    i, ii = x[:, 0].astype(float), x[:, 1].astype(float)
    for name, expected in {"aVR": -(i + ii) / 2, "aVL": i - ii / 2, "aVF": ii - i / 2}.items():
        np.testing.assert_array_equal(b.lead(name), np.rint(expected))
