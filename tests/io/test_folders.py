import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg import SynthECGError
from synthecg.io.folders import natural_key, record_files
from _realdata import shared


def test_mixed_lengths_named_unless_length_given():
    folder = shared("code15-subset")
    with pytest.raises(SynthECGError, match=r"code15-subset.*2934 samples \(\d+\)"):
        ecg_io.read(folder)
    batch = ecg_io.read(folder, length=4096)
    assert batch.n_samples == 4096 and len(batch) == len((folder / "RECORDS").read_text().split())


def test_mixed_rates_named_unless_fs_given(tmp_path, cinc2021):
    ecg_io.write(cinc2021[:1], tmp_path / "a.hea")
    code15 = ecg_io.read(shared("code15-subset"), length=5000)[:1]
    ecg_io.write(code15, tmp_path / "b.hea")
    with pytest.raises(SynthECGError, match="400 Hz \\(1\\), 500 Hz \\(1\\)"):
        ecg_io.read(tmp_path)
    batch = ecg_io.read(tmp_path, fs=500, length=5000)
    assert batch.fs == 500 and batch.n_samples == 5000 and len(batch) == 2


def test_iter_batches_streams_record_folders():
    folder = shared("ludb")
    sizes = [len(b) for b in ecg_io.iter_batches(folder, batch_size=50)]
    assert sizes == [50, 50, 34]
    first = next(ecg_io.iter_batches(folder, batch_size=3, leads=["II"]))
    np.testing.assert_array_equal(first.signals, ecg_io.read(folder, leads=["II"])[:3].signals)


def test_record_order_and_empty_folders(tmp_path):
    assert sorted([tmp_path / "10.asc", tmp_path / "2.asc"], key=natural_key)[0].name == "2.asc"
    (tmp_path / "notes.txt").write_text("no ECG here")
    with pytest.raises(SynthECGError, match="no ECG files"):
        ecg_io.read(tmp_path)
    assert record_files(shared("ludb"))[0].name == "1.hea"  # RECORDS wins over ludb.csv


def test_folder_writes_refuse_non_empty_folders(tmp_path, cinc2021):
    ecg_io.write(cinc2021[:2], tmp_path / "w", format="wfdb")
    with pytest.raises(SynthECGError, match="not empty"):
        ecg_io.write(cinc2021[:2], tmp_path / "w", format="wfdb")
    ecg_io.write(cinc2021[2:4], tmp_path / "w", format="wfdb", overwrite=True)
    np.testing.assert_array_equal(ecg_io.read(tmp_path / "w").signals, cinc2021[2:4].signals)
    assert not [p for p in (tmp_path / "w").iterdir() if p.name.startswith(".")]
