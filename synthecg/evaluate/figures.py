"""The report's figures, as PNG bytes: distributions, QT-RR, median beats, ECG paper pages,
privacy controls and copies.

Built as ``matplotlib.figure.Figure`` objects (never pyplot: no global state, no GUI backend)
from the harmonised inputs, the cached measurements and the metric results. The numbers a
figure adds (the QT-RR regression slopes, which ECGs were drawn) are returned by
:func:`figure_numbers` so that ``metrics.json`` holds every number of the report.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from ..errors import SynthECGError

REAL_COLOR, SYNTHETIC_COLOR, HOLDOUT_COLOR = "#1f4e9c", "#c00000", "#2e8b57"
DISTRIBUTIONS = (("heart_rate", "Heart rate (bpm)"), ("pr_interval", "PR (ms)"),
                 ("qrs_duration", "QRS (ms)"), ("qt_interval", "QT (ms)"),
                 ("qtc_bazett", "QTc Bazett (ms)"), ("p_axis", "P axis (°)"),
                 ("qrs_axis", "QRS axis (°)"), ("t_axis", "T axis (°)"))
OVERLAY_ECGS = 50      # ECGs per set in the median-beat overlay (thin lines: more adds nothing)
PAPER_ECGS = 2         # ECGs per set drawn on ECG paper
MAX_COPIES_DRAWN = 6
PNG_DPI = 80


def _png(fig, dpi: float = PNG_DPI) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def _column(table, name) -> np.ndarray:
    if table is None or name not in table.columns:
        return np.empty(0)
    values = np.asarray(table[name], dtype=np.float64)
    return values[np.isfinite(values)]


def qt_rr_fit(table) -> dict:
    """Least-squares line QT = a + b * RR (both ms) over ECGs with both measured."""
    if table is None or "rr_interval" not in table or "qt_interval" not in table:
        return {"slope": None, "intercept": None, "n": 0}
    rr = np.asarray(table["rr_interval"], dtype=np.float64)
    qt = np.asarray(table["qt_interval"], dtype=np.float64)
    ok = np.isfinite(rr) & np.isfinite(qt)
    if ok.sum() < 3 or np.ptp(rr[ok]) == 0:
        return {"slope": None, "intercept": None, "n": int(ok.sum())}
    slope, intercept = np.polyfit(rr[ok], qt[ok], 1)
    return {"slope": float(slope), "intercept": float(intercept), "n": int(ok.sum())}


def distributions_figure(measurements: dict):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 6), layout="constrained")
    axes = fig.subplots(2, 4)
    for ax, (column, label) in zip(axes.ravel(), DISTRIBUTIONS):
        real, synth = _column(measurements.get("train"), column), _column(measurements.get("synthetic"), column)
        both = np.concatenate([real, synth])
        if both.size == 0:
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
        else:
            lo, hi = np.percentile(both, [0.5, 99.5])
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 30)
            for values, color, name in ((real, REAL_COLOR, "real (train)"), (synth, SYNTHETIC_COLOR, "synthetic")):
                if values.size:
                    ax.hist(values, bins=bins, density=True, histtype="stepfilled", alpha=0.35,
                            color=color, label=f"{name}, n={values.size}")
                    ax.hist(values, bins=bins, density=True, histtype="step", color=color)
        ax.set_title(label, fontsize=10, loc="left")
        ax.set_yticks([])
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle("Distributions of global measurements (density)", fontsize=11)
    return fig


def qt_rr_figure(measurements: dict):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 5), layout="constrained")
    ax = fig.subplots()
    for name, color, label in (("train", REAL_COLOR, "real (train)"), ("synthetic", SYNTHETIC_COLOR, "synthetic")):
        table = measurements.get(name)
        if table is None or "rr_interval" not in table:
            continue
        rr, qt = np.asarray(table["rr_interval"], float), np.asarray(table["qt_interval"], float)
        ok = np.isfinite(rr) & np.isfinite(qt)
        ax.scatter(rr[ok], qt[ok], s=8, alpha=0.5 if ok.sum() < 500 else 0.15, color=color,
                   label=f"{label}, n={ok.sum()}")
        fit = qt_rr_fit(table)
        if fit["slope"] is not None:
            xs = np.array([np.min(rr[ok]), np.max(rr[ok])])
            ax.plot(xs, fit["intercept"] + fit["slope"] * xs, color=color, linewidth=2,
                    label=f"{label}: QT = {fit['intercept']:.0f} + {fit['slope']:.3f}·RR")
    ax.set_xlabel("RR interval (ms)")
    ax.set_ylabel("QT interval (ms)")
    ax.set_title("QT against RR", loc="left")
    ax.grid(True, color="0.9")
    ax.legend(fontsize=8, frameon=False)
    return fig


def _first(batch, n: int, seed: int):
    from .inputs import subsample

    return subsample(batch, n, seed, index=7)


def controls_rows(privacy) -> dict[str, dict]:
    """The audit and its controls as {name: {verdict, mia_auc, dcr_closer_to_train, n_copies}}."""
    from ._jsonable import jsonable
    from .evaluation import _count, _number

    rows = {"audit": privacy}
    controls = getattr(privacy, "controls", None)
    if isinstance(controls, dict):
        rows.update(controls)
    elif isinstance(controls, (list, tuple)):
        for k, c in enumerate(controls):
            rows[str(getattr(c, "name", None) or (c.get("name") if isinstance(c, dict) else k))] = c
    out = {}
    for name, item in rows.items():
        data = item if isinstance(item, dict) else None
        if data is None:
            data = jsonable(item.to_dict()) if hasattr(item, "to_dict") else {}
            data = {**data, **{k: getattr(item, k) for k in ("verdict", "mia_auc", "dcr_closer_to_train",
                                                             "copies") if hasattr(item, k)}}
        out[str(name)] = {"verdict": None if data.get("verdict") is None else str(data.get("verdict")),
                          "mia_auc": _number(data.get("mia_auc")),
                          "dcr_closer_to_train": _number(data.get("dcr_closer_to_train")),
                          "n_copies": (data.get("n_copies") if data.get("copies") is None
                                       else _count(data.get("copies")))}
    return out


def copies_list(privacy) -> list[dict]:
    """The audit's copies as [{synthetic, train, similarity}] whatever container it uses."""
    copies = getattr(privacy, "copies", None)
    if copies is None:
        return []
    if hasattr(copies, "columns"):  # DataFrame
        copies = copies.to_dict(orient="records")
    out = []
    for item in list(copies):
        if isinstance(item, dict):
            synth = next((item[k] for k in item if "synth" in str(k).lower()), None)
            train = next((item[k] for k in item if "train" in str(k).lower()), None)
            sim = next((item[k] for k in item if "sim" in str(k).lower() or "corr" in str(k).lower()), None)
            train = item.get("train_index", train)
            synth = item.get("synthetic_index", synth)
        elif isinstance(item, (tuple, list, np.ndarray)) and len(item) >= 2:
            synth, train = item[0], item[1]
            sim = item[2] if len(item) > 2 else None
        else:
            synth, train, sim = item, None, None
        if synth is None:
            continue
        shift = item.get("shift_samples") if isinstance(item, dict) else None
        out.append({"synthetic": int(synth), "train": None if train is None else int(train),
                    "similarity": None if sim is None else float(sim),
                    "shift_samples": None if shift is None else int(shift)})
    return out


def controls_figure(rows: dict):
    from matplotlib.figure import Figure

    names = list(rows)
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_auc, ax_dcr = fig.subplots(1, 2)
    colors = ["#555555" if n == "audit" else "#c00000" if "pos" in n else "#2e8b57" for n in names]
    for ax, key, title, ideal in ((ax_auc, "mia_auc", "Membership-inference AUC", 0.5),
                                  (ax_dcr, "dcr_closer_to_train", "Share closer to train than holdout", 0.5)):
        values = [rows[n][key] if rows[n][key] is not None else np.nan for n in names]
        ax.bar(range(len(names)), values, color=colors)
        ax.axhline(ideal, color="0.3", linestyle="--", linewidth=1)
        ax.set_xticks(range(len(names)), [n.replace("_", " ") for n in names], fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(title, fontsize=10, loc="left")
        for k, v in enumerate(values):
            if np.isfinite(v):
                ax.text(k, v + 0.02, f"{v:.2f}", ha="center", fontsize=8)
    fig.suptitle("Audit vs its controls (dashed: 0.5, what a private generator scores)", fontsize=10)
    return fig


def copies_figure(inputs, copies: list[dict]):
    from matplotlib.figure import Figure

    shown = [c for c in copies if c["train"] is not None][:MAX_COPIES_DRAWN]
    if not shown:
        return None
    lead = "II" if "II" in inputs.leads else inputs.leads[0]
    row = inputs.leads.index(lead)
    t = np.arange(inputs.length) / inputs.fs
    fig = Figure(figsize=(12, 1.9 * len(shown) + 0.5), layout="constrained")
    axes = fig.subplots(len(shown), 2, sharex=True, squeeze=False)
    for k, copy in enumerate(shown):
        for col, (name, batch, index, color) in enumerate(
                (("training ECG", inputs.train, copy["train"], REAL_COLOR),
                 ("synthetic ECG", inputs.synthetic, copy["synthetic"], SYNTHETIC_COLOR))):
            ax = axes[k][col]
            if 0 <= index < len(batch):
                trace = batch.signals[index, row] / 1000.0
                if col == 0 and copy.get("shift_samples"):
                    trace = np.roll(trace, copy["shift_samples"])  # aligned on the synthetic ECG
                ax.plot(t, trace, color=color, linewidth=0.6)
            sim = "" if copy["similarity"] is None else f", similarity {copy['similarity']:.3f}"
            ax.set_title(f"{name} #{index} (lead {lead}{sim})", fontsize=8, loc="left")
            ax.set_ylabel("mV", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("s")
    fig.suptitle("Possible copies: the training ECG (left, circularly shifted onto the synthetic "
                 "one) and the synthetic ECG (right)", fontsize=10)
    return fig


def psd_figure(psd: dict, leads):
    """Mean log power spectra per lead, real vs synthetic (from the fidelity result)."""
    from matplotlib.figure import Figure

    if any(psd.get(k) is None for k in ("freqs", "real_log_psd", "synthetic_log_psd")):
        return None
    freqs = np.asarray(psd["freqs"], dtype=float)
    real = np.asarray(psd["real_log_psd"], dtype=float)
    synth = np.asarray(psd["synthetic_log_psd"], dtype=float)
    if freqs.size == 0 or real.ndim != 2 or synth.ndim != 2:
        return None
    n = min(len(real), len(synth), len(leads))
    ncols = 4 if n > 3 else n
    nrows = -(-n // ncols)
    fig = Figure(figsize=(3.2 * ncols, 2.2 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
    for k in range(nrows * ncols):
        ax = axes[k // ncols][k % ncols]
        if k >= n:
            ax.set_axis_off()
            continue
        ax.plot(freqs, np.asarray(real[k], dtype=float), color=REAL_COLOR, label="real")
        ax.plot(freqs, np.asarray(synth[k], dtype=float), color=SYNTHETIC_COLOR, label="synthetic")
        ax.set_title(str(leads[k]), fontsize=9, loc="left", fontweight="bold")
        ax.grid(True, color="0.92")
    for ax in axes[-1]:
        ax.set_xlabel("Hz")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=2, frameon=False)
    return fig


def build_figures(result) -> dict[str, bytes]:
    """name -> PNG bytes for every figure of the report (names are file stems)."""
    from ..plot import overlay_figure, paper_figure

    inputs, seed = result.inputs, result.seed
    figures = {"distributions": _png(distributions_figure(result.measurements)),
               "qt_rr": _png(qt_rr_figure(result.measurements))}
    try:
        figures["median_beats"] = _png(overlay_figure(_first(inputs.train, OVERLAY_ECGS, seed),
                                                      _first(inputs.synthetic, OVERLAY_ECGS, seed)))
    except SynthECGError as exc:  # no beat found in one set: the report says so instead
        warnings.warn(f"median-beat overlay not drawn: {exc}")
    for name, batch in (("real", inputs.train), ("synthetic", inputs.synthetic)):
        for k in range(min(PAPER_ECGS, len(batch))):
            figures[f"ecg_{name}_{k + 1}"] = _png(paper_figure(batch, index=k), dpi=70)
    psd = getattr(result.fidelity, "psd", None)
    if isinstance(psd, dict):
        fig = psd_figure(psd, result.inputs.leads)
        if fig is not None:
            figures["psd"] = _png(fig)
    figures["privacy_controls"] = _png(controls_figure(controls_rows(result.privacy)))
    copies = copies_figure(inputs, copies_list(result.privacy))
    if copies is not None:
        figures["privacy_copies"] = _png(copies)
    return figures


def figure_numbers(result) -> dict:
    """The numbers the figures show that the metric results do not hold."""
    return {"qt_rr_fit": {name: qt_rr_fit(table) for name, table in result.measurements.items()},
            "privacy_controls": controls_rows(result.privacy),
            "copies_drawn": copies_list(result.privacy)[:MAX_COPIES_DRAWN],
            "ecg_paper_indices": {"train": list(range(min(PAPER_ECGS, len(result.inputs.train)))),
                                  "synthetic": list(range(min(PAPER_ECGS, len(result.inputs.synthetic))))},
            "median_beat_ecgs": {"train": min(OVERLAY_ECGS, len(result.inputs.train)),
                                 "synthetic": min(OVERLAY_ECGS, len(result.inputs.synthetic))}}
