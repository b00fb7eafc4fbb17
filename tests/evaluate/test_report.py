"""EvaluationResult's JSON and HTML report: versioned schema, strict JSON, a self-contained page
(no URL, images as data: URIs), atomic report folders, and a render in headless Chromium."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest

from synthecg import SynthECGError

from _chromium import chromium_binary, render


@pytest.fixture(scope="module")
def result(real_train, real_holdout, synthetic, tmp_path_factory):
    """The real metric functions end to end; two synthetic ECGs are exact training ECGs."""
    from synthecg.evaluate import evaluate

    leaky = synthetic.__class__.concat([synthetic[:38], real_train[[4, 9]]])
    return evaluate(real_train, leaky, real_holdout, seed=3,
                    cache_dir=tmp_path_factory.mktemp("cache"), progress=False)


@pytest.fixture(scope="module")
def report_dir(result, tmp_path_factory):
    from synthecg.evaluate import write_report

    out = tmp_path_factory.mktemp("reports") / "report"
    write_report(result, out)
    return out


def test_json_schema_and_numbers(result, report_dir):
    data = json.loads((report_dir / "metrics.json").read_text())
    assert (data["schema"], data["version"]) == ("synthecg.evaluation", 1)
    assert set(data) >= {"inputs", "summary", "gate", "timings_s", "measurement_cache_hits",
                         "fidelity", "diversity", "privacy", "figures", "seed"}
    assert data["seed"] == 3 and data["inputs"]["sizes"]["synthetic"]["used"] == 40
    privacy = data["summary"]["privacy"]
    assert privacy["verdict"] == result.privacy.verdict != "pass"
    assert privacy["mia_auc"] == pytest.approx(result.privacy.mia_auc)
    # the two planted copies are found, drawn, and fail the gate
    copies = {(c["synthetic"], c["train"]) for c in data["figures"]["copies_drawn"]}
    assert {(38, 4), (39, 9)} <= copies
    assert data["gate"]["passed"] is False
    assert data["gate"]["reasons"][0] == f"privacy verdict is {result.privacy.verdict}"
    assert data["summary"]["fidelity"]["n_flags"] == len(result.fidelity.flags)
    assert data["fidelity"]["c2st"]["auc"] == pytest.approx(data["summary"]["fidelity"]["c2st_auc"])
    assert data["diversity"]["alarm"] == data["summary"]["diversity"]["alarm"]
    assert set(data["timings_s"]) == {"inputs", "measure", "fidelity", "diversity", "privacy"}
    # the QT-RR slope in the JSON is the one of the cached measurements
    table = result.measurements["train"]
    ok = np.isfinite(table["rr_interval"]) & np.isfinite(table["qt_interval"])
    slope = np.polyfit(table["rr_interval"][ok], table["qt_interval"][ok], 1)[0]
    assert data["figures"]["qt_rr_fit"]["train"]["slope"] == pytest.approx(slope)
    # strict JSON (NaN would have been written as NaN, which json.loads accepts: forbid it)
    json.loads((report_dir / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(c))


def test_html_is_self_contained(report_dir):
    page = (report_dir / "report.html").read_text()
    assert not re.search(r"https?://", page), "the report must not name any URL"
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert len(sources) >= 9  # distributions, QT-RR, beats, PSD, 4 ECG pages, controls, copies
    from PIL import Image

    for src in sources:
        assert src.startswith("data:image/png;base64,")
        image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert image.size[0] > 300 and image.size[1] > 200
    for section in ("Summary", "Inputs", "Fidelity", "Diversity", "Privacy audit", "ECGs on paper",
                    "Methods and thresholds", "positive control", "negative control", "Possible copies"):
        assert section in page
    pngs = sorted(p.name for p in report_dir.glob("*.png"))
    assert "privacy_copies.png" in pngs and "qt_rr.png" in pngs and len(pngs) == len(sources)


def test_report_folder_is_written_whole_or_not_at_all(result, tmp_path, monkeypatch):
    import synthecg.evaluate.figures as figures
    import synthecg.evaluate.report as report
    from synthecg.evaluate import write_report

    out = tmp_path / "out"

    def broken(*args, **kwargs):
        raise SynthECGError("boom")

    # figures are written into the temporary folder, then the HTML fails
    monkeypatch.setattr(figures, "build_figures", lambda result: {"one": b"\x89PNG"})
    monkeypatch.setattr(report, "render_html", broken)
    with pytest.raises(SynthECGError):
        write_report(result, out)
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary sibling
    monkeypatch.undo()
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(SynthECGError, match="exists and is not empty"):
        write_report(result, out)
    assert (out / "keep.txt").exists()
    monkeypatch.setattr(figures, "build_figures", lambda result: {"one": b"\x89PNG"})
    write_report(result, out, overwrite=True)  # replaced as a whole
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "one.png", "report.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.skipif(chromium_binary() is None,
                    reason="Chromium is not installed (Debian: apt-get install chromium); "
                           "the report could not be rendered")
def test_report_renders_in_headless_chromium_without_network(report_dir, tmp_path):
    from PIL import Image

    shown = render(report_dir / "report.html", width=1200, height=2400)
    (tmp_path / "screenshot.png").write_bytes(shown.screenshot_png)
    schemes = {url.split(":", 1)[0] for url in shown.requests}
    assert schemes <= {"file", "data"}, f"network requests: {[u[:80] for u in shown.requests if not u.startswith(('file:', 'data:'))]}"
    assert shown.title == "SynthECG evaluation report"
    assert shown.images_loaded and shown.n_images >= 8
    pixels = np.asarray(Image.open(io.BytesIO(shown.screenshot_png)).convert("L"), dtype=float)
    assert pixels.shape == (2400, 1200)
    # not blank: a good share of non-white pixels and real contrast (text, plots, cards)
    assert (pixels < 200).mean() > 0.03 and pixels.std() > 20


def test_import_stays_light():
    import subprocess
    import sys

    code = ("import sys, synthecg.evaluate; "
            "print(sorted(m for m in ('torch', 'sklearn', 'matplotlib') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
