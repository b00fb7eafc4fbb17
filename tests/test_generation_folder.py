"""Generation to folders: shards, manifest, resume after kill -9, full disk, torchrun."""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import synthecg
import synthecg.io as ecg_io
from synthecg import SynthECGError
from synthecg.generation import generate_to_folder


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _default_sigint():
    # A job started in the background by a shell (nohup ... &, some CI runners) inherits SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler: restore the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cli(*args, env=None, preexec_fn=None, **kwargs):
    def prepare():
        _default_sigint()
        if preexec_fn is not None:
            preexec_fn()

    return subprocess.Popen([sys.executable, "-m", "synthecg", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, preexec_fn=prepare, **kwargs)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, deepfake_model):
    out = tmp_path_factory.mktemp("ref") / "run"
    generate_to_folder(out, 40, seed=5, model=deepfake_model, shard_size=8)
    return out


def test_manifest_describes_every_shard(reference_run, deepfake_model):
    manifest = json.loads((reference_run / "manifest.json").read_text())
    assert manifest["complete"] and manifest["n"] == 40 and manifest["seed"] == 5
    assert manifest["model"] == "pulse2pulse-deepfake"
    assert manifest["weights_sha256"] == deepfake_model.weights_sha256
    assert manifest["synthecg_version"] == synthecg.__version__
    assert [(s["start"], s["stop"]) for s in manifest["shards"]] == [(i, i + 8) for i in range(0, 40, 8)]
    assert all(len(s["sha256"]) == 64 for s in manifest["shards"])
    batch = ecg_io.read(reference_run)
    np.testing.assert_array_equal(batch.signals, synthecg.generate(40, seed=5, model=deepfake_model).signals)
    assert batch.meta[9] == {"seed": 5, "index": 9, "model": "pulse2pulse-deepfake"}


def test_rerun_skips_complete_shards_and_changes_nothing(reference_run, deepfake_model):
    before = tree_bytes(reference_run)
    result = generate_to_folder(reference_run, 40, seed=5, model=deepfake_model, shard_size=8)
    assert (result.written, result.skipped) == (0, 5)
    assert tree_bytes(reference_run) == before


def test_missing_shard_is_regenerated_identically(tmp_path, reference_run, deepfake_model):
    out = tmp_path / "run"
    generate_to_folder(out, 40, seed=5, model=deepfake_model, shard_size=8)
    (out / "ecgs-00002.npy").unlink()
    result = generate_to_folder(out, 40, seed=5, model=deepfake_model, shard_size=8)
    assert result.written == 1
    assert tree_bytes(out) == tree_bytes(reference_run)


def test_resume_after_kill_9_is_byte_identical(tmp_path, reference_run):
    out = tmp_path / "run"
    args = ["generate", "-n", "40", "--seed", "5", "--shard-size", "8", "--out", str(out),
            "--batch-size", "8", "--quiet"]
    proc = cli(*args)
    deadline = time.time() + 120
    while not (out / "ecgs-00001.npy").exists():  # kill it mid-run, after some shards
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read() if proc.poll() else ""
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    manifest = json.loads((out / "manifest.json").read_text())
    assert not manifest["complete"]
    with pytest.raises(SynthECGError, match="incomplete"):
        ecg_io.read(out)
    finished = cli(*args)
    stdout, stderr = finished.communicate(timeout=300)
    assert finished.returncode == 0, stderr
    assert "already complete" in stdout
    assert tree_bytes(out) == tree_bytes(reference_run)


def test_ctrl_c_stops_cleanly_and_resumes(tmp_path, deepfake_model):
    out, uninterrupted = tmp_path / "run", tmp_path / "uninterrupted"
    # enough work that the signal lands mid-run: 160 ECGs once finished (~0.5 s) before it arrived
    n = 1200
    args = ["generate", "-n", str(n), "--seed", "5", "--shard-size", "8", "--out", str(out),
            "--batch-size", "8", "--quiet"]
    proc = cli(*args)
    deadline = time.time() + 120
    while not (out / "ecgs-00000.npy").exists():
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted: run the same command again to resume"
    assert not [p.name for p in out.iterdir() if ".tmp-" in p.name]
    assert len(list(out.glob("ecgs-*.npy"))) < n // 8
    assert cli(*args).wait(timeout=300) == 0
    generate_to_folder(uninterrupted, n, seed=5, model=deepfake_model, shard_size=8)
    assert tree_bytes(out) == tree_bytes(uninterrupted)


@pytest.mark.parametrize("file_format, suffix", [("npy", ".npy"), ("npz", ".npz"), ("hdf5", ".h5")])
def test_full_disk_leaves_no_partial_file(tmp_path, file_format, suffix):
    """A file-size limit makes writes fail (EFBIG) the way a full disk does (ENOSPC)."""
    out = tmp_path / "run"
    limit = 100_000  # smaller than any 10-ECG shard in any format

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = ["generate", "-n", "40", "--seed", "5", "--shard-size", "10", "--out", str(out),
            "--format", file_format, "--quiet"]
    proc = cli(*args, preexec_fn=limit_file_size)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert f"ecgs-00000{suffix}" in stderr and "resume" in stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["manifest.json"]  # the shard that hit the limit is gone, no temp files
    # With room again, the same command finishes the job.
    generate_to_folder(out, 40, seed=5, shard_size=10, file_format=file_format)
    assert len(ecg_io.read(out)) == 40


def test_folder_with_another_generation_is_refused(reference_run, deepfake_model):
    before = tree_bytes(reference_run)
    for kwargs in ({"seed": 6}, {"n": 41}, {"shard_size": 4}, {"leads": 8}):
        args = {"n": 40, "seed": 5, "shard_size": 8, **kwargs}
        with pytest.raises(SynthECGError, match="holds another generation"):
            generate_to_folder(reference_run, model=deepfake_model, **args)
    assert tree_bytes(reference_run) == before


def test_out_that_is_a_file(tmp_path, deepfake_model):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    with pytest.raises(SynthECGError, match="is a file"):
        generate_to_folder(target, 2, model=deepfake_model)
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("file_format", ["npz", "hdf5"])
def test_other_shard_formats_are_deterministic(tmp_path, deepfake_model, reference_run, file_format):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_to_folder(a, 12, seed=5, model=deepfake_model, shard_size=8, file_format=file_format)
    generate_to_folder(b, 12, seed=5, model=deepfake_model, shard_size=8, file_format=file_format)
    assert tree_bytes(a) == tree_bytes(b)
    batch = ecg_io.read(a)
    np.testing.assert_array_equal(batch.signals, ecg_io.read(reference_run).signals[:12])
    assert batch.meta[11]["index"] == 11


def test_stale_temp_files_are_cleaned(tmp_path, deepfake_model):
    out = tmp_path / "run"
    generate_to_folder(out, 4, model=deepfake_model, shard_size=2)
    stale = out / ".ecgs-00001.npy.tmp-99999"
    stale.write_bytes(b"half")
    generate_to_folder(out, 4, model=deepfake_model, shard_size=2)
    assert not stale.exists()


def test_torchrun_two_processes_equal_one(tmp_path, reference_run):
    out = tmp_path / "dist"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "synthecg", "generate", "-n", "40", "--seed", "5",
           "--shard-size", "8", "--out", str(out), "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("wrote 40 ECGs") == 1  # rank 0 reports once
    assert tree_bytes(out) == tree_bytes(reference_run)


def test_hdf5_shards_are_uncompressed_unless_asked(tmp_path, deepfake_model):
    import h5py

    for compression, expected in (("none", None), ("gzip", "gzip")):
        out = tmp_path / compression
        generate_to_folder(out, 3, model=deepfake_model, shard_size=2, file_format="hdf5",
                           hdf5_compression=compression)
        assert json.loads((out / "manifest.json").read_text())["hdf5_compression"] == compression
        with h5py.File(out / "ecgs-00000.h5") as f:
            assert f["signals"].compression == expected
    np.testing.assert_array_equal(ecg_io.read(tmp_path / "none").signals,
                                  ecg_io.read(tmp_path / "gzip").signals)
    with pytest.raises(SynthECGError, match="holds another generation"):
        generate_to_folder(tmp_path / "none", 3, model=deepfake_model, shard_size=2,
                           file_format="hdf5", hdf5_compression="lzf")
