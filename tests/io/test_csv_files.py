import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg import SynthECGError
from _realdata import shared


def test_csv_round_trip_microvolts_and_millivolts(tmp_path, cinc2021):
    real = cinc2021[:3]
    back = ecg_io.read(ecg_io.write(real, tmp_path / "uv", format="csv"), fs=500)
    np.testing.assert_array_equal(back.signals, real.signals)
    assert (back.fs, back.leads, back.units) == (real.fs, real.leads, "uV")
    assert (tmp_path / "uv" / "00000.csv").read_text().splitlines()[0] == ",".join(real.leads)
    mv = real.to_units("mV")
    back = ecg_io.read(ecg_io.write(mv, tmp_path / "mv", format="csv"), fs=500)
    assert back.units == "mV"
    np.testing.assert_allclose(back.signals, mv.signals, atol=5e-7)


def test_csv_of_ludb_millivolts(tmp_path):
    real = ecg_io.read(shared("ludb", "data", "2.hea"))
    back = ecg_io.read(ecg_io.write(real, tmp_path / "one.csv"), fs=500)
    np.testing.assert_allclose(back.signals, real.signals, atol=5e-7)


def test_csv_lead_names_normalised_and_nan_refused(tmp_path):
    (tmp_path / "a.csv").write_text("i,ii,avr\n1,2,3\n4,5,6\n")
    assert ecg_io.read(tmp_path / "a.csv", fs=500).leads == ("I", "II", "aVR")
    (tmp_path / "b.csv").write_text("I,II\n0.1,nan\n0.2,0.3\n")
    with pytest.raises(SynthECGError, match="b.csv.*NaN"):
        ecg_io.read(tmp_path / "b.csv", fs=500)
    with pytest.warns(UserWarning, match="no sampling rate"):
        ecg_io.read(tmp_path / "a.csv")
