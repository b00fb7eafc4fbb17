import numpy as np
import pytest

from synthecg import ECGBatch, SynthECGError
from synthecg.leads import STANDARD_12


def make(n=3, leads=STANDARD_12, samples=100, units="uV"):
    rng = np.random.default_rng(0)
    x = rng.integers(-2000, 2000, size=(n, len(leads), samples)).astype(np.int16)
    if units == "mV":
        x = x.astype(np.float32) / 1000
    return ECGBatch(signals=x, fs=500, leads=leads, units=units,
                    meta=[{"index": i} for i in range(n)])


def test_shape_properties_and_repr():
    b = make()
    assert (len(b), b.n_leads, b.n_samples) == (3, 12, 100)
    assert b.duration == pytest.approx(0.2)
    assert "n=3" in repr(b) and "500 Hz" in repr(b)


def test_slicing_and_indexing_return_batches():
    b = make(5)
    part = b[1:4]
    assert isinstance(part, ECGBatch) and len(part) == 3
    assert [m["index"] for m in part.meta] == [1, 2, 3]
    one = b[-1]
    assert len(one) == 1 and one.meta[0]["index"] == 4
    np.testing.assert_array_equal(one.signals[0], b.signals[4])
    picked = b[[4, 0]]
    assert [m["index"] for m in picked.meta] == [4, 0]
    with pytest.raises(IndexError):
        b[5]


def test_select_normalises_names_and_orders():
    b = make()
    s = b.select(["v1", "ii", "AVR"])
    assert s.leads == ("V1", "II", "aVR")
    np.testing.assert_array_equal(s.signals[:, 0], b.signals[:, 6])
    np.testing.assert_array_equal(b.lead("aVR"), b.signals[:, 3])
    with pytest.raises(SynthECGError, match="V7"):
        b.select(["V7"])


def test_units_round_trip():
    b = make()
    mv = b.to_units("mV")
    assert mv.signals.dtype == np.float32 and mv.units == "mV"
    assert mv.signals[0, 0, 0] == pytest.approx(b.signals[0, 0, 0] / 1000)
    back = mv.to_units("uV")
    assert back.signals.dtype == np.int16
    np.testing.assert_array_equal(back.signals, b.signals)


def test_to_uv_widens_instead_of_wrapping():
    x = np.full((1, 1, 4), 40.0, dtype=np.float32)  # 40 mV does not fit int16 µV
    b = ECGBatch(signals=x, fs=500, leads=("I",), units="mV").to_units("uV")
    assert b.signals.dtype == np.int32 and b.signals.max() == 40000


def test_to_uv_refuses_nan():
    x = np.zeros((1, 1, 4), dtype=np.float32)
    x[0, 0, 2] = np.nan
    with pytest.raises(SynthECGError, match="NaN"):
        ECGBatch(signals=x, fs=500, leads=("I",), units="mV").to_units("uV")


@pytest.mark.parametrize("kwargs, match", [
    ({"signals": np.zeros((2, 12)), "units": "mV"}, "shape"),
    ({"leads": ("I", "II")}, "2 names for 12 leads"),
    ({"leads": ("I",) * 12}, "duplicate"),
    ({"units": "V"}, "units"),
    ({"fs": 0}, "fs"),
    ({"fs": "fast"}, "fs"),
    ({"signals": np.zeros((1, 12, 10), dtype=np.float32)}, "integers"),
    ({"meta": [{}, {}]}, "meta"),
])
def test_bad_construction_is_a_one_line_error(kwargs, match):
    args = dict(signals=np.zeros((1, 12, 10), dtype=np.int16), fs=500, leads=STANDARD_12, units="uV")
    args.update(kwargs)
    with pytest.raises(SynthECGError, match=match) as info:
        ECGBatch(**args)
    assert "\n" not in str(info.value)


def test_concat_checks_compatibility():
    a, b = make(2), make(3)
    c = ECGBatch.concat([a, b])
    assert len(c) == 5 and c.meta[2]["index"] == 0
    with pytest.raises(SynthECGError, match="differ"):
        ECGBatch.concat([a, make(2, samples=50)])
    with pytest.raises(SynthECGError):
        ECGBatch.concat([])


def test_synthecg_error_is_value_error_and_one_line():
    err = SynthECGError("a\nb   c")
    assert isinstance(err, ValueError) and str(err) == "a b c"
