"""Training data (synthecg/data/dataset.py, sources.py, windows.py, labels.py) on real records."""

import json
import shutil
import warnings

import numpy as np
import pytest
import torch
from scipy.signal import resample_poly

import synthecg.io as ecg_io
from synthecg import ECGBatch, SynthECGError
from synthecg.data import DataConfig, open_training_data, read_split
from synthecg.data.dataset import holdout_ids
from synthecg.leads import INDEPENDENT_8
from _realdata import shared, wfdb_batch

CINC21_NAMES = ["E07500", "E07501", "HR06001", "HR06002", "HR06004", "JS20000", "JS20001", "JS20003"]


def dx_codes(header_text: str) -> set[str]:
    for line in header_text.splitlines():
        if line.lstrip("# ").lower().startswith("dx:"):
            return {c.strip() for c in line.split(":", 1)[1].split(",") if c.strip()}
    return set()


def copy_records(folder, names, target):
    target.mkdir(exist_ok=True)
    for name in names:
        for path in folder.glob(name + ".*"):
            shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory):
    """2 CODE-15 records (400 Hz, 2934 and 4096 samples) beside 3 CinC 2021 ones (500 Hz)."""
    target = tmp_path_factory.mktemp("mixed")
    copy_records(shared("code15-subset"), ["1111", "1111009"], target)
    copy_records(shared("cinc2021-samples"), ["E07500", "HR06001", "JS20000"], target)
    return target


@pytest.fixture(scope="module")
def cinc21_normal():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return open_training_data(DataConfig(path=str(shared("cinc2021-samples")), filter="normal"))


def test_filter_normal_keeps_exactly_the_sinus_rhythm_only_records(cinc21_normal):
    folder = shared("cinc2021-samples")
    expected = {p.name for p in folder.glob("*.hea") if dx_codes(p.read_text()) == {"426783006"}}
    used = set(cinc21_normal.train_ids) | set(cinc21_normal.holdout_ids)
    assert used == expected and len(expected) >= 5
    skipped = dict(cinc21_normal.skipped)
    assert set(skipped) == {p.name for p in folder.glob("*.hea")} - expected
    assert all(r.startswith("filtered out") for r in skipped.values())
    item = cinc21_normal.train[0]
    assert item.dtype == torch.float32 and item.shape == (8, 5000)


def test_items_are_microvolts_over_6000_of_the_8_independent_leads(cinc21_normal):
    rid = cinc21_normal.train_ids[0]
    ref = wfdb_batch(shared("cinc2021-samples"), [rid[:-4]]).select(INDEPENDENT_8)
    expected = np.clip(ref.signals[0], -6000, 6000) / 6000.0
    np.testing.assert_allclose(cinc21_normal.train[0].numpy(), expected, atol=1e-6)


def test_filter_on_unlabelled_source_says_so(tmp_path):
    folder = copy_records(shared("code15-subset"), ["1111", "1111004"], tmp_path / "c15")
    with pytest.raises(SynthECGError, match="needs diagnosis labels.*none of its 2 records") as err:
        open_training_data(DataConfig(path=str(folder), filter="normal"))
    assert "\n" not in str(err.value)


def test_codes_filter_matches_any_listed_code():
    data = open_training_data(DataConfig(path=str(shared("cinc2021-samples")),
                                         filter="427084000, 164934002"))
    folder = shared("cinc2021-samples")
    expected = {p.name for p in folder.glob("*.hea")
                if dx_codes(p.read_text()) & {"427084000", "164934002"}}
    assert set(data.train_ids) | set(data.holdout_ids) == expected


def test_ptbxl_database_norm_and_patient_grouping(tmp_path):
    folder = copy_records(shared("cinc2021-samples"), ["HR06001", "HR06002", "HR06004", "HR06005",
                                                       "HR06007", "E07500"], tmp_path / "ptb")
    db = tmp_path / "ptbxl_database.csv"
    db.write_text("ecg_id,patient_id,scp_codes,filename_hr\n"
                  "6001,101.0,\"{'NORM': 100.0, 'SR': 0.0}\",records500/06000/06001_hr\n"
                  "6002,101.0,\"{'NORM': 80.0}\",records500/06000/06002_hr\n"
                  "6004,102.0,\"{'IMI': 100.0, 'SR': 0.0}\",records500/06000/06004_hr\n"
                  "6005,103.0,\"{'NORM': 35.0, 'LVH': 50.0}\",records500/06000/06005_hr\n"
                  "6007,104.0,\"{'NORM': 100.0}\",records500/06000/06007_hr\n")
    data = open_training_data(DataConfig(path=str(folder), filter="normal", ptbxl_database=str(db),
                                         holdout_fraction=0.5, seed=3))
    used = set(data.train_ids) | set(data.holdout_ids)
    assert used == {"HR06001.hea", "HR06002.hea", "HR06007.hea"}
    skipped = dict(data.skipped)
    assert skipped["HR06005.hea"].startswith("filtered out")  # NORM only 35 %
    assert skipped["E07500.hea"].startswith("filtered out")   # its own Dx, not normal
    # patient 101's two ECGs are never split across train and holdout
    assert ({"HR06001.hea", "HR06002.hea"} <= set(data.train_ids)
            or {"HR06001.hea", "HR06002.hea"} <= set(data.holdout_ids))
    scp = open_training_data(DataConfig(path=str(folder), filter="IMI,LVH", ptbxl_database=str(db)))
    assert set(scp.train_ids) | set(scp.holdout_ids) == {"HR06004.hea", "HR06005.hea"}


def test_mixed_rates_are_resampled_and_cropped_or_padded(mixed_folder):
    data = open_training_data(DataConfig(path=str(mixed_folder), holdout_fraction=0.0))
    assert data.holdout_ids == [] and len(data.train_ids) == 5
    assert data.stats["resampled_records"] == 2 and data.stats["padded_records"] == 1
    for name in ("1111", "1111009"):
        ref = wfdb_batch(mixed_folder, [name]).select(INDEPENDENT_8).signals[0].astype(np.float64)
        x = np.rint(resample_poly(ref, 5, 4, axis=-1))     # 400 -> 500 Hz
        n = x.shape[-1]
        if n >= 5000:
            x = x[:, (n - 5000) // 2:(n - 5000) // 2 + 5000]
        else:                                              # zero pad at both ends
            x = np.pad(x, [(0, 0), ((5000 - n) // 2, 5000 - n - (5000 - n) // 2)])
        item = data.train[data.train_ids.index(name + ".hea")].numpy()
        np.testing.assert_allclose(item, np.clip(x, -6000, 6000) / 6000, atol=1e-6)


def nan_and_partial_file(tmp_path, cinc2021):
    """An HDF5 file of 5 real ECGs in float mV, #2 with a NaN and #4 far beyond 6 mV."""
    batch = cinc2021[:5].to_units("mV")
    batch.signals[2, 7, 100] = np.nan  # V2 (a NaN in aVR alone would not matter)
    batch.signals[4, 0, 10:30] = 9.0  # 20 samples at 9 mV on lead I
    return ecg_io.write(batch, tmp_path / "ecgs.h5")


def test_nan_record_is_skipped_and_clipping_counted(tmp_path, cinc2021):
    path = nan_and_partial_file(tmp_path, cinc2021)
    data = open_training_data(DataConfig(path=str(path), holdout_fraction=0.0))
    assert data.skipped == [("ecgs.h5#2", "NaN or infinite samples")]
    assert data.train_ids == ["ecgs.h5#0", "ecgs.h5#1", "ecgs.h5#3", "ecgs.h5#4"]
    expected = int(np.count_nonzero(np.abs(cinc2021[:5].select(INDEPENDENT_8).signals[[0, 1, 3]])
                                    > 6000)) + 20
    assert data.stats["clipped_samples"] == expected
    assert data.stats["skipped_by_reason"] == {"NaN or infinite samples": 1}
    assert float(data.train[3][0, 10:30].min()) == 1.0


def test_records_without_the_leads_are_skipped_with_a_reason(tmp_path, cinc2021):
    ecg_io.write(cinc2021[:2], tmp_path / "a.h5")
    ecg_io.write(cinc2021[2:4].select(["I", "II", "V1"]), tmp_path / "b.h5")
    data = open_training_data(DataConfig(path=str(tmp_path), holdout_fraction=0.0))
    assert data.train_ids == ["a.h5#0", "a.h5#1"]
    assert [rid for rid, _ in data.skipped] == ["b.h5#0", "b.h5#1"]
    assert data.skipped[0][1].startswith("missing leads V2,V3,V4,V5,V6")


def test_split_is_deterministic_disjoint_and_sized():
    config = DataConfig(path=str(shared("ludb")), holdout_fraction=0.2, seed=7)
    a, b = open_training_data(config), open_training_data(config)
    assert (a.train_ids, a.holdout_ids) == (b.train_ids, b.holdout_ids)
    assert not set(a.train_ids) & set(a.holdout_ids)
    assert len(a.train_ids) + len(a.holdout_ids) == 134
    assert len(a.holdout_ids) == round(0.2 * 134)
    other = open_training_data(DataConfig(path=str(shared("ludb")), holdout_fraction=0.2, seed=8))
    assert set(other.holdout_ids) != set(a.holdout_ids)
    # the split depends only on the ids: a subset keeps its members' sides (hash order)
    ids = a.train_ids + a.holdout_ids
    held = holdout_ids(ids, ids, 0.2, 7)
    assert held == set(a.holdout_ids)


def test_records_json_and_read_split_round_trip(tmp_path, mixed_folder):
    data = open_training_data(DataConfig(path=str(mixed_folder), holdout_fraction=0.4, seed=1))
    path = data.write_record_lists(tmp_path / "run")
    doc = json.loads(path.read_text())
    assert doc["format"] == "synthecg.records" and doc["version"] == 1
    assert doc["source"] == str(mixed_folder.absolute())
    assert doc["config"]["leads"] == list(INDEPENDENT_8) and doc["config"]["scale_uv"] == 6000.0
    assert (doc["train"], doc["holdout"]) == (data.train_ids, data.holdout_ids)
    assert doc["skipped"] == [list(s) for s in data.skipped]
    for split, dataset, ids in (("train", data.train, data.train_ids),
                                ("holdout", data.holdout, data.holdout_ids)):
        batch = read_split(tmp_path / "run", split)
        assert (batch.fs, batch.leads, batch.units, batch.n_samples) == (500.0, INDEPENDENT_8, "uV", 5000)
        assert [m["record_id"] for m in batch.meta] == ids
        items = torch.stack([dataset[i] for i in range(len(dataset))]).numpy()
        np.testing.assert_array_equal(batch.signals.astype(np.float32) / np.float32(6000.0), items)
    with pytest.raises(SynthECGError, match="split"):
        read_split(tmp_path / "run", "test")


def test_streaming_equals_in_memory_and_workers_equal_main_process(tmp_path, cinc2021):
    ecg_io.write(cinc2021[:6], tmp_path / "s0.h5", compression="none")
    ecg_io.write(cinc2021[6:12], tmp_path / "s1.h5", compression="none")
    config = DataConfig(path=str(tmp_path), holdout_fraction=0.25)
    memory = open_training_data(config, in_memory=True)
    stream = open_training_data(config, in_memory=False)
    assert stream.streaming and not memory.streaming
    assert stream.train_ids == memory.train_ids and len(stream.holdout_ids) == 3
    loaded = {}
    for workers in (0, 2):
        loader = torch.utils.data.DataLoader(stream.train, batch_size=4, num_workers=workers)
        loaded[workers] = torch.cat(list(loader))
    torch.testing.assert_close(loaded[0], loaded[2], rtol=0, atol=0)
    torch.testing.assert_close(loaded[0], torch.stack([memory.train[i] for i in range(9)]),
                               rtol=0, atol=0)


def test_highpass_removes_baseline_wander_the_same_way_in_memory_and_streaming(tmp_path, cinc2021):
    from scipy.signal import butter, sosfiltfilt

    ecg_io.write(cinc2021[:3], tmp_path / "s.h5", compression="none")
    config = DataConfig(path=str(tmp_path), holdout_fraction=0.0, highpass_hz=0.5)
    memory = open_training_data(config, in_memory=True)
    stream = open_training_data(config, in_memory=False)
    items = torch.stack([memory.train[i] for i in range(3)]).numpy()
    raw = cinc2021[:3].select(INDEPENDENT_8).signals.astype(np.float64)
    sos = butter(2, 0.5, btype="highpass", fs=500.0, output="sos")
    expected = np.clip(np.rint(sosfiltfilt(sos, raw, axis=-1)), -6000, 6000) / 6000.0
    np.testing.assert_allclose(items, expected, atol=1e-6)
    assert np.abs(items - np.clip(raw, -6000, 6000) / 6000.0).max() > 0.01  # it did filter
    torch.testing.assert_close(torch.stack([stream.train[i] for i in range(3)]),
                               torch.from_numpy(items), rtol=0, atol=0)


def test_mu_law_items_are_the_companded_linear_items_in_memory_and_streaming(tmp_path, cinc2021):
    from synthecg._mu_law import mu_law_decode, mu_law_encode

    ecg_io.write(cinc2021[:3], tmp_path / "s.h5", compression="none")
    linear = open_training_data(DataConfig(path=str(tmp_path), holdout_fraction=0.0, scale_uv=2000))
    config = DataConfig(path=str(tmp_path), holdout_fraction=0.0, scale_uv=2000, mu_law=40)
    memory = open_training_data(config, in_memory=True)
    stream = open_training_data(config, in_memory=False)
    items = torch.stack([memory.train[i] for i in range(3)])
    flat = torch.stack([linear.train[i] for i in range(3)])
    np.testing.assert_array_equal(items.numpy(), mu_law_encode(flat.numpy(), 40.0))
    torch.testing.assert_close(torch.stack([stream.train[i] for i in range(3)]), items, rtol=0, atol=0)
    assert items.abs().max() <= 1.0
    np.testing.assert_allclose(mu_law_decode(items.numpy(), 40.0) * 2000, flat.numpy() * 2000, atol=0.01)


def test_streaming_from_compressed_hdf5_warns(tmp_path, cinc2021):
    ecg_io.write(cinc2021[:4], tmp_path / "gz.h5")
    with pytest.warns(UserWarning, match="compressed.*gz.h5"):
        open_training_data(DataConfig(path=str(tmp_path)), in_memory=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        open_training_data(DataConfig(path=str(tmp_path)), in_memory=True)


def test_generation_folder_ids(tmp_path, cinc2021):
    from synthecg.io.manifest import write_manifest

    folder = tmp_path / "gen"
    folder.mkdir()
    np.save(folder / "ecgs-00000.npy", cinc2021[:3].signals.astype(np.int16))
    np.save(folder / "ecgs-00001.npy", cinc2021[3:5].signals.astype(np.int16))
    write_manifest(folder, {"format": "synthecg.generation", "complete": True, "fs": 500.0,
                            "leads": list(cinc2021.leads), "seed": 0, "model": "x",
                            "shards": [{"file": "ecgs-00000.npy", "start": 0, "stop": 3},
                                       {"file": "ecgs-00001.npy", "start": 3, "stop": 5}]})
    data = open_training_data(DataConfig(path=str(folder), holdout_fraction=0.0), in_memory=False)
    assert data.train_ids == ["ecgs-00000.npy#0", "ecgs-00000.npy#1", "ecgs-00000.npy#2",
                              "ecgs-00001.npy#0", "ecgs-00001.npy#1"]
    expected = cinc2021[4].select(INDEPENDENT_8).signals[0].clip(-6000, 6000) / 6000
    np.testing.assert_allclose(data.train[4].numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("make", ["empty", "junk", "missing"])
def test_empty_or_unreadable_paths_raise_one_line(tmp_path, make):
    folder = tmp_path / "data"
    if make != "missing":
        folder.mkdir()
    if make == "junk":
        (folder / "a.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(SynthECGError, match=str(folder)) as err:
        open_training_data(DataConfig(path=str(folder)))
    assert "\n" not in str(err.value)
    if make == "junk":
        assert "unreadable" in str(err.value)


def test_bad_config_values_are_refused():
    for kwargs in ({"holdout_fraction": 1.0}, {"length": 0}, {"scale_uv": -1}, {"seed": -2},
                   {"highpass_hz": -1.0}, {"highpass_hz": 250.0}, {"mu_law": -1.0}):
        with pytest.raises(SynthECGError):
            DataConfig(path="x", **kwargs)
    assert DataConfig(path="x", highpass_hz=0).highpass_hz is None  # off, as TOML can say it


def test_read_split_refuses_records_that_changed(tmp_path, cinc2021):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    ecg_io.write(cinc2021[:4], data_dir / "x.h5", compression="none")
    data = open_training_data(DataConfig(path=str(data_dir), holdout_fraction=0.0))
    data.write_record_lists(tmp_path / "run")
    ecg_io.write(cinc2021[:2], data_dir / "x.h5", compression="none", overwrite=True)
    with pytest.raises(SynthECGError, match=r"x.h5: has no ECG #2"):
        read_split(tmp_path / "run", "train")
    with pytest.raises(SynthECGError, match="records.json: not found"):
        read_split(tmp_path / "elsewhere", "train")
