"""ECG paper: the standard 12-lead printout at true scale.

Geometry (all in millimetres of paper; the figure is the page, in inches = mm / 25.4, and the
grid axes' data coordinates ARE millimetres, so 1 data unit = 1 mm when printed at 100 %)::

    +--------------------------------- landscape A4 (297 x 210) or Letter (279.4 x 215.9) ---+
    | header: ID / source, age, sex, fs, speed, gain, notes          [SYNTHETIC mark]        |
    |   +-- grid 260 x 170 mm: 10 mm calibration column + 4 x 62.5 mm (2.5 s) columns --+   |
    |   | cal | I    | aVR  | V1   | V4   |   baseline 145 mm                            |   |
    |   | cal | II   | aVL  | V2   | V5   |   baseline 105 mm                            |   |
    |   | cal | III  | aVF  | V3   | V6   |   baseline  65 mm                            |   |
    |   | cal | II rhythm strip, 10 s = 250 mm  |   baseline  25 mm                       |   |
    |   +--------------------------------------------------------------------------------+   |
    +----------------------------------------------------------------------------------------+

Column ``c`` of the 3x4 block shows seconds ``2.5 c .. 2.5 (c + 1)`` of its leads, as a
cardiograph does (the leads are simultaneous, so the columns follow each other in time).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8, STANDARD_12, expand_to_12
from ._output import check_target, save_figures

SPEED_MM_PER_S = 25.0
GAIN_MM_PER_MV = 10.0
PAPER_SIZES_MM = {"a4": (297.0, 210.0), "letter": (279.4, 215.9)}  # landscape width, height

CAL_WIDTH_MM = 10.0          # column left of the traces holding the 1-mV calibration pulse
COLUMN_SECONDS = 2.5
RHYTHM_SECONDS = 10.0
GRID_WIDTH_MM = CAL_WIDTH_MM + RHYTHM_SECONDS * SPEED_MM_PER_S      # 260
GRID_HEIGHT_MM = 170.0
GRID_BOTTOM_MM = 12.0
ROW_BASELINES_MM = (145.0, 105.0, 65.0, 25.0)                        # 3 lead rows + rhythm
LAYOUT = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
RHYTHM_LEAD = "II"

MINOR_COLOR, MAJOR_COLOR, TRACE_COLOR = "#f7c6c6", "#e58a8a", "black"
MARK_COLOR = "#c00000"
_MM_TO_PT = 72.0 / 25.4


def paper_figure(ecg: ECGBatch, index: int = 0, paper: str = "a4"):
    """The printout of ECG ``index`` of ``ecg`` as a matplotlib Figure (nothing is saved).

    Accepts µV or mV, any fs and length, NaN gaps (left blank), 12 standard leads or the 8
    independent ones (III, aVR, aVL, aVF are then derived); missing leads leave their panel
    empty. Artists carry gids for inspection: "grid-minor", "grid-major", "calibration",
    "trace-<lead>", "rhythm-<lead>", "label-<lead>", "header", "synthetic-mark".
    """
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    _checked(ecg)
    if not -len(ecg) <= index < len(ecg):
        raise SynthECGError(f"index {index}: out of range for {len(ecg)} ECG{'s' * (len(ecg) != 1)}")
    width, height = _paper_size(paper)
    paper_note = f"{paper.upper() if paper.lower() == 'a4' else paper.capitalize()} landscape, print at 100 %"
    one, derived = _standard_leads(ecg[index])
    signals = one.to_units("mV").signals[0].astype(np.float64)
    rows = {lead: signals[i] for i, lead in enumerate(one.leads)}

    fig = Figure(figsize=(width / 25.4, height / 25.4))
    left = (width - GRID_WIDTH_MM) / 2.0
    ax = fig.add_axes((left / width, GRID_BOTTOM_MM / height,
                       GRID_WIDTH_MM / width, GRID_HEIGHT_MM / height))
    ax.set_xlim(0.0, GRID_WIDTH_MM)
    ax.set_ylim(0.0, GRID_HEIGHT_MM)
    ax.set_axis_off()

    # Grid: 1-mm minor and 5-mm major lines, exactly at integer millimetres.
    for step, color, width_mm, gid in ((1, MINOR_COLOR, 0.1, "grid-minor"),
                                       (5, MAJOR_COLOR, 0.25, "grid-major")):
        xs = np.arange(0.0, GRID_WIDTH_MM + 0.5, step)
        ys = np.arange(0.0, GRID_HEIGHT_MM + 0.5, step)
        if step == 1:  # majors are drawn on top; keep minors off their positions
            xs, ys = xs[xs % 5 != 0], ys[ys % 5 != 0]
        segments = [((x, 0.0), (x, GRID_HEIGHT_MM)) for x in xs]
        segments += [((0.0, y), (GRID_WIDTH_MM, y)) for y in ys]
        ax.add_collection(LineCollection(segments, colors=color, linewidths=width_mm * _MM_TO_PT,
                                         gid=gid, zorder=1, antialiased=False))

    trace_kw = dict(color=TRACE_COLOR, linewidth=0.25 * _MM_TO_PT, zorder=3,
                    solid_joinstyle="round", clip_on=True)
    label_kw = dict(fontsize=9, fontweight="bold", zorder=4, va="bottom", ha="left")
    for baseline in ROW_BASELINES_MM:
        ax.plot(*_calibration_pulse(baseline), gid="calibration", **trace_kw)

    t = np.arange(one.n_samples) / one.fs
    for r, row in enumerate(LAYOUT):
        baseline = ROW_BASELINES_MM[r]
        for c, lead in enumerate(row):
            start = CAL_WIDTH_MM + c * COLUMN_SECONDS * SPEED_MM_PER_S
            if c:  # a short bar where one lead gives way to the next, as cardiographs print
                ax.plot([start, start], [baseline - 3, baseline + 3], color=TRACE_COLOR,
                        linewidth=0.25 * _MM_TO_PT, zorder=3, gid="separator")
            name = lead if lead in rows else f"{lead} (not recorded)"
            ax.text(start + 1.5, baseline + 6.0, name, gid=f"label-{lead}", **label_kw)
            if lead not in rows:
                continue
            keep = (t >= c * COLUMN_SECONDS) & (t < (c + 1) * COLUMN_SECONDS)
            ax.plot(CAL_WIDTH_MM + t[keep] * SPEED_MM_PER_S,
                    baseline + rows[lead][keep] * GAIN_MM_PER_MV, gid=f"trace-{lead}", **trace_kw)

    rhythm = RHYTHM_LEAD if RHYTHM_LEAD in rows else next(iter(rows))
    keep = t < RHYTHM_SECONDS
    ax.plot(CAL_WIDTH_MM + t[keep] * SPEED_MM_PER_S,
            ROW_BASELINES_MM[3] + rows[rhythm][keep] * GAIN_MM_PER_MV, gid=f"rhythm-{rhythm}",
            **trace_kw)
    ax.text(CAL_WIDTH_MM + 1.5, ROW_BASELINES_MM[3] + 6.0, f"{rhythm} (rhythm)",
            gid="label-rhythm", **label_kw)

    _header(fig, ax, one, rows, derived, width, height, left, paper_note)
    return fig


def ecg_paper(ecg_or_batch, path: str | os.PathLike, paper: str = "a4", dpi: float = 200,
              overwrite: bool = False) -> Path:
    """Draw ECGs on true-scale ECG paper into ``path`` (.png: one ECG; .pdf: one page per ECG).

    ``ecg_or_batch`` is an ECGBatch, or an iterable of ECGBatches (e.g.
    ``synthecg.io.iter_batches(path)``) drawn page by page without holding them all in memory.
    25 mm/s, 10 mm/mV, landscape ``paper`` ("a4" or "letter"); printed at 100 % (no "fit to
    page") every millimetre of the grid measures 1 mm. ``dpi`` sets the PNG resolution. The file
    is written atomically and an existing file is refused unless ``overwrite``. Returns ``path``.
    """
    path, kind = check_target(path, overwrite)
    _paper_size(paper)
    if isinstance(ecg_or_batch, ECGBatch):
        if kind == "png" and len(ecg_or_batch) > 1:
            raise SynthECGError(f"{path}: a PNG holds one ECG but {len(ecg_or_batch)} were given; "
                                "choose one (--index K) or write a .pdf (one page per ECG)")
        batches = [ecg_or_batch]
    else:
        try:
            batches = iter(ecg_or_batch)
        except TypeError:
            raise SynthECGError(f"ecg: expected an ECGBatch or batches of them, "
                                f"got {type(ecg_or_batch).__name__}") from None
    pages = (paper_figure(_checked(batch), i, paper=paper) for batch in batches
             for i in range(len(batch)))
    save_figures(pages, path, kind, dpi=dpi, overwrite=overwrite)
    return path


# --- private helpers -----------------------------------------------------------------------------
def _checked(batch) -> ECGBatch:
    if not isinstance(batch, ECGBatch):
        raise SynthECGError(f"ecg: expected an ECGBatch, got {type(batch).__name__}")
    return batch


def _paper_size(paper: str) -> tuple[float, float]:
    try:
        return PAPER_SIZES_MM[str(paper).lower()]
    except KeyError:
        raise SynthECGError(f"paper: {paper!r} is not one of {', '.join(PAPER_SIZES_MM)}") from None


def _standard_leads(one: ECGBatch) -> tuple[ECGBatch, list[str]]:
    """The 12 standard leads present (deriving the 4 limb leads from 8), and which were derived."""
    if all(lead in one.leads for lead in STANDARD_12):
        return one.select(STANDARD_12), []
    if all(lead in one.leads for lead in INDEPENDENT_8):
        derived = [lead for lead in STANDARD_12 if lead not in one.leads]
        return expand_to_12(one), derived
    present = [lead for lead in STANDARD_12 if lead in one.leads]
    if not present:
        raise SynthECGError(f"leads: none of the 12 standard leads in this ECG "
                            f"(it has {', '.join(one.leads)})")
    return one.select(present), []


def _calibration_pulse(baseline: float) -> tuple[list[float], list[float]]:
    """A 1-mV (10 mm) step held 0.2 s (5 mm), centred in the calibration column."""
    top = baseline + 1.0 * GAIN_MM_PER_MV
    x0, x1 = 2.5, 2.5 + 0.2 * SPEED_MM_PER_S
    return [0.5, x0, x0, x1, x1, CAL_WIDTH_MM - 0.5], [baseline, baseline, top, top, baseline, baseline]


def _identity(meta: dict) -> str:
    for key in ("source", "record", "id", "name"):
        if meta.get(key) not in (None, ""):
            return str(meta[key])
    if "seed" in meta or "index" in meta:
        return f"seed {meta.get('seed', '?')}, ECG {meta.get('index', '?')}"
    return "(no ID)"


def _header(fig, ax, one: ECGBatch, rows: dict, derived: list[str], width: float,
            height: float, left: float, paper_note: str) -> None:
    meta = one.meta[0]
    duration = one.duration
    first = [f"ID: {_identity(meta)}"]
    for key, label in (("age", "Age"), ("sex", "Sex"), ("labels", "Dx"), ("dx", "Dx")):
        if meta.get(key) not in (None, "", []):
            value = meta[key]
            first.append(f"{label}: {', '.join(map(str, value)) if isinstance(value, (list, tuple)) else value}")
    second = [f"{one.fs:g} Hz", f"{SPEED_MM_PER_S:g} mm/s", f"{GAIN_MM_PER_MV:g} mm/mV",
              f"{duration:.2f} s recorded".replace(".00 s", " s")]
    notes = []
    if derived:
        notes.append(f"{', '.join(derived)} derived from I and II")
    if duration < RHYTHM_SECONDS:
        notes.append(f"recording shorter than {RHYTHM_SECONDS:g} s: strips end early")
    elif duration > RHYTHM_SECONDS:
        notes.append(f"first {RHYTHM_SECONDS:g} s shown")
    gaps = sum(int(np.count_nonzero(np.isnan(x))) for x in rows.values())
    if gaps:
        share = 100.0 * gaps / sum(x.size for x in rows.values())
        notes.append(f"{share:.1f}% of samples missing (gaps left blank)")
    missing = [lead for lead in STANDARD_12 if lead not in rows]
    if missing:
        notes.append(f"not recorded: {' '.join(missing)}")
    notes.append(paper_note)
    top = GRID_BOTTOM_MM + GRID_HEIGHT_MM
    fig.text(left / width, (top + 11.0) / height, "   ".join(first), fontsize=10,
             fontweight="bold", va="bottom", gid="header")
    fig.text(left / width, (top + 4.0) / height, "   ".join(second), fontsize=9,
             va="bottom", gid="header")
    # Notes go under the grid, where cardiographs print speed, gain and filter settings.
    fig.text(left / width, (GRID_BOTTOM_MM - 5.0) / height, "  |  ".join(notes), fontsize=7.5,
             va="bottom", gid="header")
    if "model" in meta:
        right = (left + GRID_WIDTH_MM) / width
        fig.text(right, (top + 9.0) / height, "SYNTHETIC", fontsize=20, fontweight="bold",
                 color=MARK_COLOR, ha="right", va="bottom", gid="synthetic-mark",
                 bbox=dict(boxstyle="square,pad=0.25", facecolor="white", edgecolor=MARK_COLOR,
                           linewidth=1.5))
        fig.text(right, (top + 3.0) / height, f"generated by {meta['model']}, not a patient",
                 fontsize=8, color=MARK_COLOR, ha="right", va="bottom", gid="synthetic-mark")
        ax.text(GRID_WIDTH_MM / 2, GRID_HEIGHT_MM / 2, "SYNTHETIC", fontsize=110,
                fontweight="bold", color=MARK_COLOR, alpha=0.08, rotation=20, ha="center",
                va="center", zorder=2, gid="synthetic-mark")
