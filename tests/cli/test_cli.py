import subprocess
import sys

import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg.cli import main


def test_generate_and_info(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["generate", "-n", "3", "--seed", "1", "--out", str(out), "--leads", "8",
                 "--format", "npz", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "wrote 3 ECGs (1 shard" in printed and "kB per ECG" in printed
    batch = ecg_io.read(out)
    assert batch.signals.shape == (3, 8, 5000) and batch.meta[2]["seed"] == 1
    assert main(["info", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{out}: 3 ECGs, 8 leads") and len(lines) == 7
    assert lines[2] == "  metadata: index 3/3, model 3/3, seed 3/3"
    assert lines[6].startswith("ECG    2 (seed=1, index=2): lead II")


def test_info_limit(tmp_path, capsys):
    out = tmp_path / "run"
    main(["generate", "-n", "5", "--out", str(out), "--quiet"])
    capsys.readouterr()
    main(["info", str(out), "--limit", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{out}: 5 ECGs") and len(lines) == 7
    assert lines[-1] == "... (3 more ECGs not shown; --limit 0 shows all)"


@pytest.mark.parametrize("args, message", [
    (["generate", "-n", "0", "--out", "X"], "error: n: the number of ECGs must be a positive integer"),
    (["generate", "-n", "2", "--out", "X", "--model", "nope"], "error: model 'nope': not a known model name"),
    (["generate", "-n", "2", "--out", "X", "--shard-size", "0"], "error: shard_size"),
    (["info", "missing.npz"], "error: missing.npz: no such file"),
])
def test_user_errors_are_one_line_exit_2(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_out_is_a_file(tmp_path, capsys):
    target = tmp_path / "f"
    target.write_text("x")
    assert main(["generate", "-n", "2", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err and target.read_text() == "x"


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(Exception, match="positive integer"):
        main(["--debug", "generate", "-n", "0", "--out", str(tmp_path / "x")])


def test_usage_errors_exit_2(capsys):
    assert main(["generate", "--out", "x"]) == 2
    assert "Missing option '-n'" in capsys.readouterr().err


def test_console_script_and_module_are_the_same_program(tmp_path):
    script = subprocess.run([sys.executable, "-m", "synthecg", "--version"], capture_output=True, text=True)
    assert script.returncode == 0 and "synthecg" in script.stdout
    bad = subprocess.run([sys.executable, "-m", "synthecg", "generate", "-n", "-1", "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
    exe = subprocess.run([str(__import__("pathlib").Path(sys.executable).parent / "synthecg"), "--help"],
                         capture_output=True, text=True)
    assert exe.returncode == 0 and "generate" in exe.stdout
