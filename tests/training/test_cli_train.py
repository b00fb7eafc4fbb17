"""`synthecg train` on real records: bad input, SIGTERM, full disk, then `generate --model RUN_DIR`."""

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import synthecg.io as ecg_io
from synthecg import ECGBatch
from synthecg.cli import main
from _realdata import shared

ROOT = Path(__file__).resolve().parents[2]
TINY_TOML = ('n_critic = 1\neval_every = 0\nsample_every = 0\ncheckpoint_every = 0\n'
             'log_every = 1\n[data]\nlength = 2500\nholdout_fraction = 0.2\n')


@pytest.fixture(scope="module")
def messy_folder(tmp_path_factory, cinc2021):
    """HDF5 files: 4 CinC 2021 ECGs at 500 Hz, #1 with a NaN sample, and 2 CODE-15 ECGs at 400 Hz."""
    target = tmp_path_factory.mktemp("messy") / "ecgs"
    target.mkdir()
    batch = cinc2021[:4].to_units("mV")
    batch.signals[1, 7, 50] = float("nan")  # V2 (one of the 8 leads trained on)
    ecg_io.write(batch, target / "a.h5")
    code15 = shared("code15-subset")
    slow = ECGBatch.concat([ecg_io.read(code15 / name, length=2934) for name in ("1111.hea", "1111009.hea")])
    assert slow.fs == 400
    ecg_io.write(slow, target / "b.h5")
    (target.parent / "tiny.toml").write_text(TINY_TOML)
    return target


def train_args(data, out, *extra):
    return ["train", "--model", "wavegan", "--model-size", "5", "--data", str(data), "--out", str(out),
            "--batch-size", "2", "--config", str(Path(data).parent / "tiny.toml"), "--quiet", *extra]


@pytest.mark.parametrize("case", ["empty", "too_few", "no_data", "both_lengths"])
def test_bad_input_is_one_line_exit_2(messy_folder, tmp_path, capsys, case):
    empty = tmp_path / "empty"
    empty.mkdir()
    args = {"empty": train_args(empty, tmp_path / "r", "--steps", "1"),
            "too_few": train_args(messy_folder, tmp_path / "r", "--steps", "1", "--batch-size", "32"),
            "no_data": ["train", "--out", str(tmp_path / "r"), "--steps", "1"],
            "both_lengths": train_args(messy_folder, tmp_path / "r", "--steps", "1", "--epochs", "1")}[case]
    expected = {"empty": "no", "too_few": "fewer than batch_size 32", "no_data": "--data",
                "both_lengths": "--steps and --epochs"}[case]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and expected in err
    assert not (tmp_path / "r" / "checkpoints").exists()


def run_cli(args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "synthecg", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


@pytest.fixture(scope="module")
def terminated_run(messy_folder, tmp_path_factory):
    """A run stopped by SIGTERM once its first step is logged."""
    out = tmp_path_factory.mktemp("term") / "run"
    proc = run_cli(train_args(messy_folder, out, "--steps", "1000"))
    deadline = time.time() + 120
    while not ((out / "metrics.csv").exists() and len((out / "metrics.csv").read_text().splitlines()) > 1):
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read() if proc.poll() else "slow"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    return out, proc.returncode, stderr


def checkpoint_bytes(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted((out / "checkpoints").iterdir())}


def test_mixed_rates_are_resampled_and_the_nan_record_skipped_then_generate(terminated_run, tmp_path):
    out, _, stderr = terminated_run
    assert "1 skipped (1 NaN or infinite samples)" in stderr and "2 resampled" in stderr
    records = json.loads((out / "records.json").read_text())
    assert records["skipped"] == [["a.h5#1", "NaN or infinite samples"]]
    used = records["train"] + records["holdout"]
    assert len(used) == 5 and {"b.h5#0", "b.h5#1"} <= set(used)  # the 400 Hz ECGs, resampled
    assert json.loads((out / "config.json").read_text())["data"]["length"] == 2500
    assert main(["generate", "--model", str(out), "-n", "2", "--out", str(tmp_path / "gen"), "--quiet"]) == 0
    assert ecg_io.read(tmp_path / "gen").signals.shape == (2, 12, 2500)


def test_sigterm_writes_a_checkpoint_and_exits_cleanly(terminated_run):
    out, code, stderr = terminated_run
    assert code == 130, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("interrupted (SIGTERM) at step ") and "--resume" in last
    step = int(last.split("at step ")[1].split("/")[0])
    state = torch.load(out / "checkpoints" / "state.pt", weights_only=True)
    assert state["step"] == step >= 1
    assert torch.load(out / "checkpoints" / "last.pt", weights_only=True)["training_step"] == step
    assert not [p for p in out.rglob(".*.tmp-*")]


def test_full_disk_keeps_the_previous_checkpoint_then_resume_finishes(terminated_run, messy_folder):
    """A file-size limit makes writes fail (EFBIG) the way a full disk does (ENOSPC)."""
    out, _, _ = terminated_run
    before = checkpoint_bytes(out)
    step = torch.load(out / "checkpoints" / "state.pt", weights_only=True)["step"]
    limit = 1_000_000  # logs fit, the training state (~25 MB) does not

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = train_args(messy_folder, out, "--resume", "--steps", str(step + 1))
    proc = run_cli(args, preexec_fn=limit_file_size)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, stderr
    error = stderr.strip().splitlines()[-1]
    assert error.startswith("error: ") and "state.pt" in error and "could not write" in error
    assert "Traceback" not in stderr
    assert checkpoint_bytes(out) == before  # the previous checkpoint is intact
    assert not [p for p in out.rglob(".*.tmp-*")]
    # With room again the same command continues from the intact checkpoint.
    assert main(args) == 0
    assert torch.load(out / "checkpoints" / "state.pt", weights_only=True)["step"] == step + 1
