import re

import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg.cli import main


@pytest.fixture()
def real_npz(cinc2021, tmp_path):
    path = tmp_path / "real.npz"
    ecg_io.write(cinc2021[:4], path)
    return path


@pytest.fixture(scope="module")
def generated_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "run"
    assert main(["generate", "-n", "3", "--seed", "4", "--out", str(out), "--quiet"]) == 0
    return out


def test_convert_real_data_with_units_and_overwrite(real_npz, cinc2021, tmp_path, capsys):
    target = tmp_path / "real.h5"
    assert main(["convert", str(real_npz), str(target), "--units", "mV"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {target}: 4 ECGs, 12 leads")
    back = ecg_io.read(target)
    assert back.units == "mV" and np.allclose(back.signals * 1000, cinc2021[:4].signals, atol=0.01)
    assert back.meta == cinc2021[:4].meta
    assert main(["convert", str(target), str(target)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["convert", str(target), str(tmp_path / "again.h5"), "--format", "hdf5",
                 "--units", "uV"]) == 0
    assert (ecg_io.read(tmp_path / "again.h5").signals == cinc2021[:4].signals).all()


def test_convert_a_generated_folder(generated_folder, tmp_path):
    assert main(["convert", str(generated_folder), str(tmp_path / "gen.npz")]) == 0
    back = ecg_io.read(tmp_path / "gen.npz")
    assert (back.signals == ecg_io.read(generated_folder).signals).all() and back.meta[2]["seed"] == 4


def test_info_summarises_real_data(real_npz, capsys):
    assert main(["info", str(real_npz), "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{real_npz}: 4 ECGs, 12 leads (I II III aVR aVL aVF V1 V2 V3 V4 V5 V6), 10.0 s at 500 Hz, int32 uV"
    assert re.match(r"  amplitude [-+]\d+\.\.[-+]\d+ uV over all leads$", lines[1])
    assert lines[2] == "  metadata: source 4/4"
    assert lines[3].startswith("  sources 4 distinct (")
    assert lines[4].startswith("ECG    0 (source=") and lines[-1].startswith("... (2 more ECGs")


def test_info_on_a_generated_folder_in_mv(generated_folder, tmp_path, capsys):
    main(["convert", str(generated_folder), str(tmp_path / "mv.npz"), "--units", "mV"])
    capsys.readouterr()
    assert main(["info", str(tmp_path / "mv.npz"), "--limit", "0"]) == 0
    mv = capsys.readouterr().out.splitlines()
    assert main(["info", str(generated_folder)]) == 0
    uv = capsys.readouterr().out.splitlines()
    assert uv[1] == mv[1] and uv[2] == "  metadata: index 3/3, model 3/3, seed 3/3"
    assert uv[3] == "  model pulse2pulse-deepfake 3" and len(uv) == len(mv) == 7


def test_plot_real_and_generated(real_npz, generated_folder, tmp_path, capsys):
    png = tmp_path / "real.png"
    assert main(["plot", str(real_npz), "--index", "3", "--out", str(png)]) == 0
    assert capsys.readouterr().out == f"wrote {png}\n" and png.read_bytes()[:4] == b"\x89PNG"
    pdf = tmp_path / "gen.pdf"
    assert main(["plot", str(generated_folder), "--all", "--out", str(pdf), "--paper", "letter"]) == 0
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes())) == 3
    assert main(["plot", str(generated_folder), "--out", str(pdf)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["plot", str(generated_folder), "--out", str(pdf), "--overwrite"]) == 0
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes())) == 1


@pytest.mark.parametrize("args, message", [
    (["plot", "{gen}", "--index", "3", "--out", "x.png"], "error: index 3: out of range, "),
    (["plot", "{gen}", "--index", "1", "--all", "--out", "x.pdf"], "error: --index and --all"),
    (["plot", "{gen}", "--all", "--out", "x.png"], "error: x.png: a PNG holds one ECG but several"),
    (["plot", "{gen}", "--out", "x.svg"], "error: x.svg: plots are written as .png or .pdf"),
    (["plot", "missing.npz", "--out", "x.png"], "error: missing.npz: no such file"),
    (["convert", "{gen}", "out.xyz"], "error: out.xyz: unknown file type '.xyz'"),
    (["convert", "{gen}", "out.npz", "--format", "nope"], "error: format: 'nope' is not one of"),
    (["convert", "missing.npz", "out.npz"], "error: missing.npz: no such file"),
    (["info", "notes.txt"], "error: notes.txt: unknown file type"),
])
def test_bad_input_is_one_line_exit_2(generated_folder, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not an ECG")
    assert main([a.replace("{gen}", str(generated_folder)) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]   # nothing written


def test_info_and_plot_on_a_folder_whose_records_differ_in_length(tmp_path, capsys):
    """CODE-15 exports mix lengths: described and plotted record by record, never resampled."""
    from _realdata import shared

    folder = shared("code15-subset")
    assert main(["info", str(folder), "--limit", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "(records differ in length or rate)" in out[0] and "at 400 Hz" in out[0]
    assert [line.split("(")[0].strip() for line in out if line.startswith("ECG")] == ["ECG    0", "ECG    1", "ECG    2"]
    png = tmp_path / "code15.png"
    assert main(["plot", str(folder), "--index", "5", "--out", str(png)]) == 0
    assert png.stat().st_size > 10_000


def test_library_warnings_print_as_one_line(tmp_path, capsys):
    import subprocess
    import sys

    from _realdata import shared

    done = subprocess.run([sys.executable, "-m", "synthecg", "info", str(shared("cinc2020-samples")),
                           "--limit", "1"], capture_output=True, text=True)
    assert done.returncode == 0
    warned = [line for line in done.stderr.splitlines() if line]
    assert warned and all(line.startswith("warning: ") and "adu/mV" in line for line in warned)


def test_convert_harmonises_a_mixed_folder_when_asked(tmp_path, capsys):
    from _realdata import shared

    folder, target = shared("code15-subset"), tmp_path / "code15.h5"
    assert main(["convert", str(folder), str(target)]) == 2
    assert "pass length=" in capsys.readouterr().err and not target.exists()
    assert main(["convert", str(folder), str(target), "--fs", "500", "--length", "5000"]) == 0
    batch = ecg_io.read(target)
    assert (len(batch), batch.fs, batch.n_samples) == (206, 500, 5000)
    assert batch.meta[0]["age"] >= 17
