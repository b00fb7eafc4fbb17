import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg import ECGBatch, SynthECGError
from synthecg.leads import INDEPENDENT_8


def test_npz_round_trip_on_real_ecgs(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021, tmp_path / "real.npz")
    back = ecg_io.read(path)
    np.testing.assert_array_equal(back.signals, cinc2021.signals)
    assert back.signals.dtype == cinc2021.signals.dtype
    assert (back.fs, back.leads, back.units, back.meta) == (cinc2021.fs, cinc2021.leads,
                                                          cinc2021.units, cinc2021.meta)


def test_npz_millivolts_round_trip(tmp_path, cinc2021):
    mv = cinc2021.to_units("mV")
    back = ecg_io.read(ecg_io.write(mv, tmp_path / "mv.npz"))
    assert back.units == "mV" and back.signals.dtype == np.float32
    np.testing.assert_array_equal(back.signals, mv.signals)


def test_npz_is_deterministic(tmp_path, cinc2021):
    a = ecg_io.write(cinc2021, tmp_path / "a.npz")
    b = ecg_io.write(cinc2021, tmp_path / "b.npz")
    assert a.read_bytes() == b.read_bytes()
    with np.load(a) as data:  # plain numpy can read it too
        np.testing.assert_array_equal(data["signals"], cinc2021.signals)


def test_npy_round_trip_uses_standard_lead_order(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021, tmp_path / "real.npy")
    np.testing.assert_array_equal(np.load(path), cinc2021.signals)
    back = ecg_io.read(path, fs=500)
    assert back.leads == cinc2021.leads and back.units == "uV"
    with pytest.warns(UserWarning, match="no sampling rate"):
        ecg_io.read(path)


def test_npy_single_ecg_and_8_leads(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros((8, 100), np.int16))
    b = ecg_io.read(tmp_path / "one.npy", fs=250)
    assert len(b) == 1 and b.leads == INDEPENDENT_8 and b.fs == 250


@pytest.mark.parametrize("array, match", [
    (np.zeros((2, 5, 100), np.int16), "5 leads and no lead names"),
    (np.zeros(10), "expected an array"),
    (np.full((1, 8, 10), np.nan, np.float32), "NaN"),
])
def test_npy_bad_arrays(tmp_path, array, match):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(SynthECGError, match=match):
        ecg_io.read(tmp_path / "bad.npy", fs=500)


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_truncated_files_name_the_file(tmp_path, cinc2021, suffix):
    path = ecg_io.write(cinc2021, tmp_path / f"t{suffix}")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(SynthECGError, match=f"t{suffix}"):
        ecg_io.read(path, fs=500)


def test_npz_without_signals(tmp_path):
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(SynthECGError, match="missing"):
        ecg_io.read(tmp_path / "other.npz")
