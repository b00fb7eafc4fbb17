import numpy as np
import pytest
import scipy.io
import wfdb

import synthecg.io as ecg_io
from synthecg import SynthECGError
from _realdata import shared, wfdb_batch


def test_cinc2021_folder_matches_wfdb_with_labels():
    folder = shared("cinc2021-samples")
    batch = ecg_io.read(folder)
    names = (folder / "RECORDS").read_text().split()
    assert len(batch) == len(names) and batch.units == "uV" and batch.fs == 500
    np.testing.assert_array_equal(batch.signals[:5], wfdb_batch(folder, names[:5]).signals)
    comments = wfdb.rdheader(str(folder / names[0])).comments
    dx = next(c for c in comments if c.startswith("Dx:")).split(":")[1].strip().split(",")
    assert batch.meta[0]["labels"] == dx and all(isinstance(c, str) for c in dx)
    assert isinstance(batch.meta[0]["age"], int)


@pytest.mark.parametrize("name", ["HR00002", "E00001", "A0001"])
def test_cinc2020_gain_rule_gives_val_over_1000(name):
    """README: millivolts = val / 1000 for every record, whatever the header says."""
    folder = shared("cinc2020-samples")
    val = scipy.io.loadmat(str(folder / f"{name}.mat"))["val"]
    if name == "A0001":
        batch = ecg_io.read(folder / f"{name}.hea")
    else:
        with pytest.warns(UserWarning, match="known CinC 2020 header error"):
            batch = ecg_io.read(folder / f"{name}.mat")
    np.testing.assert_array_equal(batch.signals[0], val)  # 1 adu = 1 µV
    amplitude_mv = np.percentile(np.abs(batch.to_units("mV").signals), 99)
    assert 0.2 < amplitude_mv < 5  # physiological, not 5x too large or 4.9x too small


@pytest.mark.filterwarnings("ignore:.*CinC 2020 header error")
def test_cinc2020_amplitudes_match_records_csv():
    import csv

    folder = shared("cinc2020-samples")
    rows = {r["record"]: r for r in csv.DictReader(open(folder / "records.csv"))}
    column = next(c for c in next(iter(rows.values())) if "99" in c)
    with pytest.warns(UserWarning):
        batch = ecg_io.read(folder, length=5000, fs=500)
    for meta, signals in zip(batch.meta, batch.signals):
        name = meta["source"].split("/")[-1][:-4]
        full = ecg_io.read(folder / f"{name}.hea")
        p99 = np.percentile(np.abs(full.to_units("mV").signals), 99)
        assert p99 == pytest.approx(float(rows[name][column]), rel=0.05, abs=0.02), name


def test_cinc_round_trips_through_every_format(tmp_path):
    with pytest.warns(UserWarning):
        real = ecg_io.read(shared("cinc2020-samples"), length=5000)[::7]
    for fmt in ("wfdb", "edf", "npz", "hdf5"):
        path = tmp_path / (fmt if fmt in ("wfdb", "edf") else f"x.{fmt}")
        back = ecg_io.read(ecg_io.write(real, path, format=fmt))
        np.testing.assert_array_equal(back.signals, real.signals)
        assert (back.fs, back.leads, back.units, back.meta) == (real.fs, real.leads, real.units, real.meta)


def test_mat_is_read_only(tmp_path, cinc2021):
    with pytest.raises(SynthECGError, match="read only"):
        ecg_io.write(cinc2021[:1], tmp_path / "x.mat")
    assert not list(tmp_path.iterdir())
