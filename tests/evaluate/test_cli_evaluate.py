"""`synthecg evaluate`: files written, gate exit codes, bad input (exit 2, one line, no report)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import synthecg.io as sio
from synthecg import ECGBatch
from synthecg.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory, real_train, real_holdout, synthetic):
    folder = tmp_path_factory.mktemp("inputs")
    shifted = ECGBatch(np.roll(real_train.signals, 1, axis=-1), real_train.fs, real_train.leads)
    paths = {"train": folder / "train.npz", "holdout": folder / "holdout.npz",
             "shifted": folder / "shifted.npz", "copies": folder / "copies.npz",
             "synthetic": folder / "synthetic.npz"}
    sio.write(real_train, paths["train"])
    sio.write(real_holdout, paths["holdout"])
    sio.write(shifted, paths["shifted"])        # measures like train, equals none of it
    sio.write(ECGBatch.concat([synthetic[:30], real_train[:10]]), paths["copies"])
    sio.write(synthetic, paths["synthetic"])
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("cache"))


def _run(files, synthetic, out, *extra, cache=None):
    args = ["evaluate", "--real", files["train"], "--holdout", files["holdout"], "--synthetic",
            files[synthetic], "--out", str(out), "--quiet", *extra]
    return main(args + (["--cache-dir", cache] if cache else []))


def test_gate_passes_and_writes_the_report(files, tmp_path, capsys, standin_metrics, shared_cache):
    out = tmp_path / "report"
    assert _run(files, "shifted", out, "--gate", "--seed", "2", cache=shared_cache) == 0
    printed = capsys.readouterr().out
    assert "privacy: pass" in printed and f"report: {out / 'report.html'}" in printed
    names = {p.name for p in out.iterdir()}
    assert {"report.html", "metrics.json", "distributions.png", "qt_rr.png", "median_beats.png",
            "privacy_controls.png", "ecg_real_1.png", "ecg_synthetic_1.png"} <= names
    data = json.loads((out / "metrics.json").read_text())
    assert data["gate"] == {"passed": True, "reasons": []} and data["seed"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporary folder left


def test_gate_fails_with_exit_3_on_copies(files, tmp_path, capsys, standin_metrics, shared_cache):
    out = tmp_path / "gated"
    assert _run(files, "copies", out, "--gate", cache=shared_cache) == 3
    captured = capsys.readouterr()
    assert "gate: fails (privacy verdict is fail" in captured.err
    assert (out / "report.html").is_file() and (out / "privacy_copies.png").is_file()
    # an existing report folder is refused at once (before the evaluation) without --overwrite
    assert _run(files, "copies", out, cache=shared_cache) == 2
    assert "exists and is not empty; pass --overwrite" in capsys.readouterr().err
    assert (out / "report.html").is_file()


@pytest.mark.parametrize("case", ["empty", "overlap", "one_ecg"])
def test_bad_input_exit_2_one_line_no_report(case, files, tmp_path, capsys, standin_metrics,
                                             real_train, synthetic):
    out = tmp_path / "out"
    if case == "empty":
        (tmp_path / "empty").mkdir()
        files = {**files, "synthetic": str(tmp_path / "empty")}
        expect = "error: synthetic: "
    elif case == "overlap":
        sio.write(real_train[5:17], tmp_path / "leak.npz")
        files = {**files, "holdout": str(tmp_path / "leak.npz")}
        expect = "error: holdout: 12 of 12 ECGs are identical to training ECGs"
    else:
        sio.write(synthetic[:1], tmp_path / "one.npz")
        files = {**files, "synthetic": str(tmp_path / "one.npz")}
        expect = "error: synthetic: 1 usable ECG"
    assert _run(files, "synthetic", out) == 2
    err = capsys.readouterr().err
    assert err.startswith(expect) and err.count("\n") == 1
    assert not out.exists()


def test_training_run_directory_stands_for_real_and_holdout(tmp_path, capsys, standin_metrics,
                                                            files, shared_cache):
    """A run directory's records.json (written by synthecg.data) gives both real sets."""
    import shutil

    from _realdata import SHARED_DATA as DATA
    from synthecg.data import DataConfig, open_training_data

    source = tmp_path / "records"
    source.mkdir()
    names = sorted(p.stem for p in (DATA / "cinc2021-samples").glob("*.hea"))
    for name in [n for n in names if n != "E07510"][:30]:  # E07510 duplicates E07509's samples
        for suffix in (".hea", ".mat"):
            shutil.copy(DATA / "cinc2021-samples" / f"{name}{suffix}", source / f"{name}{suffix}")
    run = tmp_path / "run"
    run.mkdir()
    data = open_training_data(DataConfig(path=str(source), holdout_fraction=0.4, seed=0))
    data.write_record_lists(run)
    out = tmp_path / "report"
    assert main(["evaluate", "--real", str(run), "--synthetic", files["synthetic"], "--out", str(out),
                 "--quiet", "--cache-dir", shared_cache]) == 0
    capsys.readouterr()
    report = json.loads((out / "metrics.json").read_text())["inputs"]
    assert report["sizes"]["train"]["used"] == len(data.train_ids)
    assert report["sizes"]["holdout"]["used"] == len(data.holdout_ids)
    assert report["sources"]["train"] == report["sources"]["holdout"] == str(run)
    # training data are the 8 independent leads: the 12-lead synthetic set is compared on those
    assert report["leads"] == list(data.config.leads) == ["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"]
