import re

import numpy as np
import pytest

import synthecg
from synthecg import ECGBatch, SynthECGError
from synthecg.leads import independent_8
from synthecg.plot import PAPER_SIZES_MM, ecg_paper, paper_figure
from synthecg.plot import paper as layout


@pytest.fixture(scope="module")
def generated():
    return synthecg.generate(3, seed=5)


def _artists(fig, gid):
    return [a for ax in fig.axes for a in ax.get_children() if a.get_gid() == gid]


def _texts(fig):
    return [t for t in fig.texts + [t for ax in fig.axes for t in ax.texts]]


def _mm_per_px(fig, dpi):
    fig.set_dpi(dpi)
    ax = fig.axes[0]
    origin, one_x, one_y = ax.transData.transform([(0, 0), (1, 0), (0, 1)])
    return one_x - origin, one_y - origin


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_figure_is_the_landscape_page_and_one_data_unit_is_one_mm(cinc2021, paper):
    fig = paper_figure(cinc2021, 0, paper=paper)
    assert np.allclose(fig.get_size_inches() * 25.4, PAPER_SIZES_MM[paper])
    dx, dy = _mm_per_px(fig, 254)  # 254 dpi = 10 px per mm
    assert np.allclose(dx, (10, 0)) and np.allclose(dy, (0, 10))
    x0, y0, w, h = fig.axes[0].get_position().bounds  # the grid sits inside the page
    assert 0 < x0 and x0 + w < 1 and 0 < y0 and y0 + h < 1


def test_grid_lines_are_1_mm_apart_in_the_png_pixels(cinc2021, tmp_path):
    png = ecg_paper(cinc2021[0], tmp_path / "real.png", dpi=254)
    import matplotlib.image

    image = matplotlib.image.imread(png)[..., :3]
    assert image.shape[:2] == (2100, 2970)  # A4 at 10 px per mm
    left_px = round((297.0 - layout.GRID_WIDTH_MM) / 2 * 10)
    column = image[:, left_px + 55]          # x = 5.5 mm: inside the calibration column, between lines
    top_px = round((210.0 - layout.GRID_BOTTOM_MM) * 10)
    band = column[top_px - 600: top_px - 400]   # grid y = 40..60 mm: no trace, no label here
    pink = np.where(band.sum(axis=1) < 2.95)[0]
    runs = np.split(pink, np.where(np.diff(pink) > 1)[0] + 1)[1:-1]  # drop runs cut by the band
    centres = np.array([run.mean() for run in runs])   # major lines are wider than minor ones
    assert len(centres) >= 18 and np.allclose(np.diff(centres), 10, atol=0.6)
    # a darker line every 5 mm, at whole millimetres counted up from the grid's bottom edge
    widths = np.array([len(run) for run in runs])
    mm_up = (top_px - (centres + top_px - 600)) / 10
    assert np.allclose(mm_up, np.round(mm_up), atol=0.06)
    assert set(np.round(mm_up[widths == widths.max()]) % 5) == {0}
    assert set(np.round(mm_up[widths < widths.max()]) % 5) == {1, 2, 3, 4}


def test_calibration_pulse_is_10_mm_tall_and_5_mm_wide_at_each_row(cinc2021):
    fig = paper_figure(cinc2021, 0)
    pulses = _artists(fig, "calibration")
    assert len(pulses) == 4
    for pulse in pulses:
        x, y = np.asarray(pulse.get_xdata()), np.asarray(pulse.get_ydata())
        assert y.max() - y.min() == pytest.approx(10.0)        # 1 mV at 10 mm/mV
        top = x[y == y.max()]
        assert top.max() - top.min() == pytest.approx(5.0)    # 0.2 s at 25 mm/s
        assert x.max() <= layout.CAL_WIDTH_MM


def test_rhythm_strip_is_250_mm_and_columns_62_5_mm(cinc2021):
    fig = paper_figure(cinc2021, 1)
    (rhythm,) = _artists(fig, "rhythm-II")
    x = np.asarray(rhythm.get_xdata())
    step = 25.0 / cinc2021.fs
    assert x[0] == pytest.approx(layout.CAL_WIDTH_MM) and x[-1] - x[0] + step == pytest.approx(250.0)
    for lead in ("I", "aVR", "V1", "V4", "V6"):
        (trace,) = _artists(fig, f"trace-{lead}")
        x = np.asarray(trace.get_xdata())
        assert x[-1] - x[0] + step == pytest.approx(62.5)
    (v4,) = _artists(fig, "trace-V4")
    assert np.asarray(v4.get_xdata())[0] == pytest.approx(10 + 3 * 62.5)  # 7.5 s into the ECG


def test_amplitude_is_10_mm_per_mv_in_uv_and_mv_alike(cinc2021):
    real = cinc2021[2]
    for batch in (real, real.to_units("mV")):
        fig = paper_figure(batch)
        (trace,) = _artists(fig, "trace-II")
        ii = real.lead("II")[0, :len(trace.get_ydata())] / 1000.0
        assert np.allclose(np.asarray(trace.get_ydata()), layout.ROW_BASELINES_MM[1] + 10 * ii, atol=1e-3)


def test_synthetic_mark_on_generated_ecgs_only(generated, cinc2021):
    fake = paper_figure(generated, 1)
    marks = [t.get_text() for t in _texts(fake) if t.get_gid() == "synthetic-mark"]
    assert "SYNTHETIC" in marks and any("pulse2pulse-deepfake" in m for m in marks)
    header = " ".join(t.get_text() for t in _texts(fake) if t.get_gid() == "header")
    assert "seed 5, ECG 1" in header and "25 mm/s" in header and "10 mm/mV" in header and "500 Hz" in header
    real = paper_figure(cinc2021, 0)
    assert not [t for t in _texts(real) if "SYNTHETIC" in t.get_text().upper()]
    header = " ".join(t.get_text() for t in _texts(real) if t.get_gid() == "header")
    assert cinc2021.meta[0]["source"] in header
    labels = {t.get_gid() for t in _texts(real) if (t.get_gid() or "").startswith("label-")}
    assert {f"label-{lead}" for lead in synthecg.leads.STANDARD_12} < labels


def test_eight_leads_derive_the_other_four(generated):
    fig = paper_figure(independent_8(generated), 0)
    assert len(_artists(fig, "trace-aVR")) == 1
    header = " ".join(t.get_text() for t in _texts(fig) if t.get_gid() == "header")
    assert "III, aVR, aVL, aVF derived from I and II" in header


def test_short_ecg_other_fs_and_nan_gaps_are_drawn_and_said(tmp_path):
    fs, seconds = 250, 4.0
    t = np.arange(int(fs * seconds)) / fs
    signals = np.tile(np.sin(2 * np.pi * 1.2 * t), (1, 12, 1)).astype(np.float32)
    signals[0, :, 300:400] = np.nan
    batch = ECGBatch(signals, fs=fs, leads=synthecg.leads.STANDARD_12, units="mV")
    fig = paper_figure(batch)
    (rhythm,) = _artists(fig, "rhythm-II")
    assert np.asarray(rhythm.get_xdata())[-1] == pytest.approx(10 + 25 * (seconds - 1 / fs))
    assert np.isnan(np.asarray(rhythm.get_ydata())).sum() == 100   # a gap, not a line across it
    assert _artists(fig, "trace-V4")[0].get_xdata().size == 0       # 7.5-10 s was not recorded
    header = " ".join(t.get_text() for t in _texts(fig) if t.get_gid() == "header")
    assert "250 Hz" in header and "shorter than 10 s" in header and "missing (gaps" in header
    assert ecg_paper(batch, tmp_path / "short.png").stat().st_size > 0


def test_a_batch_becomes_a_multipage_pdf(generated, tmp_path):
    pdf = ecg_paper(iter([generated[:2], generated[2:]]), tmp_path / "all.pdf", paper="letter")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == 3
    boxes = {tuple(float(v) for v in box.split()) for box in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)}
    assert len(boxes) == 1    # every page is landscape Letter in points (1 pt = 1/72 inch)
    assert np.allclose(boxes.pop(), (0, 0, 279.4 / 25.4 * 72, 215.9 / 25.4 * 72), atol=0.01)


def test_writes_are_atomic_and_never_overwrite_unless_asked(generated, cinc2021, tmp_path):
    target = tmp_path / "ecg.png"
    target.write_bytes(b"keep")
    with pytest.raises(SynthECGError, match="already exists"):
        ecg_paper(generated[0], target)
    assert target.read_bytes() == b"keep"
    with pytest.raises(SynthECGError, match="a PNG holds one ECG but 3"):
        ecg_paper(generated, tmp_path / "many.png")
    with pytest.raises(SynthECGError, match="a PNG holds one ECG but several"):
        ecg_paper(iter([generated[:1], generated[1:2]]), tmp_path / "many.png")
    with pytest.raises(SynthECGError, match="expected an ECGBatch or batches"):
        ecg_paper(3, tmp_path / "none.pdf")
    with pytest.raises(SynthECGError, match="no ECGs to plot"):
        ecg_paper(iter([]), tmp_path / "none.pdf")
    with pytest.raises(SynthECGError, match=r"\.png or \.pdf"):
        ecg_paper(generated[0], tmp_path / "ecg.svg")
    with pytest.raises(SynthECGError, match="paper"):
        ecg_paper(generated[0], tmp_path / "x.png", paper="a3")
    ecg_paper(cinc2021[0], target, overwrite=True)
    assert target.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ecg.png"]   # no temporary leftovers


def test_index_out_of_range_and_non_standard_leads(generated):
    with pytest.raises(SynthECGError, match="index 3: out of range for 3 ECGs"):
        paper_figure(generated, 3)
    odd = ECGBatch(np.zeros((1, 2, 100), np.int16), fs=100, leads=("X", "Y"))
    with pytest.raises(SynthECGError, match="none of the 12 standard leads"):
        paper_figure(odd)
