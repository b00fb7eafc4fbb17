import numpy as np
import pytest

import synthecg
import synthecg.io as ecg_io
from synthecg import SynthECGError
from synthecg.leads import INDEPENDENT_8


def test_asc_folder_is_what_deepfake_users_load(tmp_path):
    batch = synthecg.generate(12, seed=0)
    with pytest.warns(UserWarning, match="dropping III, aVR, aVL, aVF"):
        folder = ecg_io.write(batch, tmp_path / "asc", format="asc")
    assert (folder / "11.asc").is_file() and not (folder / "12.asc").exists()
    loaded = np.loadtxt(folder / "3.asc", dtype=np.int32)  # deepfake-ecg users' reader
    assert loaded.shape == (5000, 8)
    np.testing.assert_array_equal(loaded.T, batch.select(INDEPENDENT_8).signals[3])
    back = ecg_io.read(folder)  # numeric order: 0, 1, 2, ..., 10, 11 (not 0, 1, 10, 11, 2)
    np.testing.assert_array_equal(back.signals, batch.select(INDEPENDENT_8).signals)
    assert (back.fs, back.leads, back.units) == (500.0, INDEPENDENT_8, "uV")
    assert back.meta[10]["source"].endswith("/10.asc")


def test_asc_reads_deepfake_savetxt_output(tmp_path):
    rows = np.random.default_rng(0).integers(-3000, 3000, size=(5000, 8))
    np.savetxt(tmp_path / "0.asc", rows, fmt="%i")  # exactly what deepfakeecg.generate does
    batch = ecg_io.read(tmp_path / "0.asc")
    np.testing.assert_array_equal(batch.signals[0].T, rows)


def test_asc_rejects_wrong_columns_and_rates(tmp_path):
    (tmp_path / "bad.asc").write_text("1 2 3\n4 5 6\n")
    with pytest.raises(SynthECGError, match="bad.asc"):
        ecg_io.read(tmp_path / "bad.asc")
    batch = synthecg.generate(1, seed=0)
    batch.fs = 250.0
    with pytest.raises(SynthECGError, match="500 Hz"):
        ecg_io.write(batch, tmp_path / "x.asc")
