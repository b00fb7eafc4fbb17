import h5py
import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg import ECGBatch, SynthECGError


def test_round_trip_on_real_ecgs(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021, tmp_path / "real.h5")
    back = ecg_io.read(path)
    np.testing.assert_array_equal(back.signals, cinc2021.signals)
    assert (back.fs, back.leads, back.units, back.meta) == (cinc2021.fs, cinc2021.leads,
                                                          cinc2021.units, cinc2021.meta)
    with h5py.File(path) as f:  # compressed, whole ECGs per chunk (16 at most), any HDF5 tool reads it
        assert f["signals"].compression == "gzip"
        assert f["signals"].chunks == (min(len(cinc2021), 16), 12, 5000)


def test_iter_batches_reads_lazily_in_order(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021, tmp_path / "real.hdf5")
    parts = list(ecg_io.iter_batches(path, batch_size=5))
    assert [len(p) for p in parts] == [5, 5, 2]
    np.testing.assert_array_equal(np.concatenate([p.signals for p in parts]), cinc2021.signals)
    assert parts[2].meta == cinc2021.meta[10:]


def test_deterministic_bytes(tmp_path, cinc2021):
    a = ecg_io.write(cinc2021[:3], tmp_path / "a.h5")
    b = ecg_io.write(cinc2021[:3], tmp_path / "b.h5")
    assert a.read_bytes() == b.read_bytes()


def test_truncated_and_foreign_files(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021[:2], tmp_path / "t.h5")
    path.write_bytes(path.read_bytes()[:4000])
    with pytest.raises(SynthECGError, match="t.h5"):
        ecg_io.read(path)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(SynthECGError, match="no 'signals' dataset"):
        ecg_io.read(tmp_path / "other.h5")


@pytest.mark.parametrize("compression, filter_name, chunks", [
    ("none", None, None), ("lzf", "lzf", (12, 12, 5000)), ("gzip", "gzip", (12, 12, 5000))])
def test_compression_layouts_round_trip_and_open_in_plain_h5py(tmp_path, cinc2021, compression,
                                                               filter_name, chunks):
    path = ecg_io.write(cinc2021, tmp_path / "x.h5", compression=compression)
    with h5py.File(path) as f:  # no plugin: lzf and gzip ship with h5py
        assert f["signals"].compression == filter_name and f["signals"].chunks == chunks
        np.testing.assert_array_equal(f["signals"][3], cinc2021.signals[3])
    back = ecg_io.read(path)
    np.testing.assert_array_equal(back.signals, cinc2021.signals)
    assert back.meta == cinc2021.meta


def test_uncompressed_is_raw_size_and_gzip_smaller(tmp_path, cinc2021):
    raw = ecg_io.write(cinc2021, tmp_path / "raw.h5", compression="none").stat().st_size
    packed = ecg_io.write(cinc2021, tmp_path / "gz.h5").stat().st_size
    assert raw >= cinc2021.signals.nbytes and packed < 0.8 * raw


def test_iter_batches_gives_exact_sizes_across_chunk_boundaries(tmp_path, cinc2021):
    batch = ECGBatch.concat([cinc2021] * 4)  # 48 ECGs = 3 chunks of 16
    for compression in ("gzip", "none"):
        path = ecg_io.write(batch, tmp_path / f"{compression}.h5", compression=compression)
        parts = list(ecg_io.iter_batches(path, batch_size=7))
        assert [len(p) for p in parts] == [7] * 6 + [6]
        np.testing.assert_array_equal(np.concatenate([p.signals for p in parts]), batch.signals)
        assert [m for p in parts for m in p.meta] == batch.meta


def test_bad_compression_is_refused(tmp_path, cinc2021):
    with pytest.raises(SynthECGError, match="compression"):
        ecg_io.write(cinc2021[:1], tmp_path / "x.h5", compression="zstd")
    with pytest.raises(SynthECGError, match="HDF5 files only"):
        ecg_io.write(cinc2021[:1], tmp_path / "x.npz", compression="gzip")
