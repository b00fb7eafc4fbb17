import json

import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg import SynthECGError
from synthecg.generation import generate_to_folder


@pytest.fixture(scope="module")
def run(tmp_path_factory, deepfake_model):
    out = tmp_path_factory.mktemp("m") / "run"
    generate_to_folder(out, 12, seed=2, model=deepfake_model, shard_size=5, leads=8)
    return out


def test_read_folder_and_iterate_shards(run):
    batch = ecg_io.read(run)
    assert batch.signals.shape == (12, 8, 5000) and batch.leads[2] == "V1"
    parts = list(ecg_io.iter_batches(run, batch_size=4))
    assert [len(p) for p in parts] == [4, 1, 4, 1, 2]
    np.testing.assert_array_equal(np.concatenate([p.signals for p in parts]), batch.signals)


def test_damaged_shard_is_detected(tmp_path, run):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    shard = copy / "ecgs-00001.npy"
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(SynthECGError, match="ecgs-00001.npy: sha256 differs"):
        ecg_io.read(copy)
    shard.unlink()
    with pytest.raises(SynthECGError, match="ecgs-00001.npy: shard listed in manifest.json is missing"):
        ecg_io.read(copy)


def test_foreign_or_broken_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(SynthECGError, match="unreadable SynthECG generation manifest"):
        ecg_io.read(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(SynthECGError, match="not a SynthECG generation manifest"):
        ecg_io.read(tmp_path)
