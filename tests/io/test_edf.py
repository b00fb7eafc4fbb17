import numpy as np
import pyedflib

import synthecg.io as ecg_io
from _realdata import shared


def test_edf_round_trip_exact_microvolts_with_meta(tmp_path):
    real = ecg_io.read(shared("code15-subset"), length=2934)[:4]
    folder = ecg_io.write(real, tmp_path / "edf", format="edf")
    back = ecg_io.read(folder)
    np.testing.assert_array_equal(back.signals, real.signals)
    assert (back.fs, back.leads, back.units, back.meta) == (real.fs, real.leads, real.units, real.meta)
    reader = pyedflib.EdfReader(str(folder / "00000.edf"))  # a plain EDF+ file
    try:
        assert reader.getSignalLabels()[:2] == ["I", "II"] and reader.getSampleFrequency(0) == 400
        np.testing.assert_allclose(reader.readSignal(0), real.signals[0, 0])
    finally:
        reader.close()


def test_edf_millivolts_within_a_microvolt(tmp_path):
    real = ecg_io.read(shared("ludb", "data", "4.hea"))
    back = ecg_io.read(ecg_io.write(real, tmp_path / "x.edf"))
    assert back.units == "mV" and back.meta == real.meta
    np.testing.assert_allclose(back.signals, real.signals, atol=0.0005 + 1e-6)
