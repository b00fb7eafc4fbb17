"""The evaluation report: one self-contained HTML file.

Everything is inside the file: CSS in a ``<style>`` element, images as ``data:image/png;base64``
URIs, no script, no font, no link: it opens offline, can be mailed or archived, and a browser
loads nothing else (``tests/evaluate/test_report.py`` checks this in headless Chromium). Every
number printed comes from ``EvaluationResult.to_dict()`` (the ``metrics.json`` content), so the
JSON is the report's complete record. Sections: summary (verdicts), inputs, fidelity,
diversity, privacy (with both controls and any copies), ECGs on paper, methods.
"""

from __future__ import annotations

import base64
import html
import math

from .evaluation import SMD_FLAG
from .inputs import DURATION_S, MIN_ECGS

VERDICT_CLASS = {"ok": "good", "pass": "good", "flagged": "bad", "fail": "bad", "alarm": "bad",
                 "inconclusive": "warn"}

CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1100px;
padding:1.5em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{flex:1;min-width:260px;border-radius:8px;padding:1em;
border:2px solid #ccc}.card h3{margin-top:0}.good{border-color:#2e8b57;background:#eef8f1}
.bad{border-color:#c00000;background:#fdeeee}.warn{border-color:#d48a00;background:#fff6e5}
.verdict{font-size:1.4em;font-weight:bold;text-transform:uppercase}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.85em}td,th{border:1px solid #ddd;
padding:.25em .5em;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
tr.flag td{background:#fdeeee;font-weight:bold}img{max-width:100%;height:auto;border:1px solid #eee}
.note{color:#555;font-size:.9em}.gate-pass{color:#2e8b57;font-weight:bold}.gate-fail{color:#c00000;font-weight:bold}
.pair{display:flex;gap:1em;flex-wrap:wrap}.pair figure{flex:1 1 calc(50% - 1em);min-width:320px;margin:0}
figcaption{font-size:.85em;color:#555}
"""


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return html.escape(str(value))


def _img(figures: dict, name: str, alt: str) -> str:
    png = figures.get(name)
    if png is None:
        return f'<p class="note">({html.escape(alt)}: not drawn for these inputs.)</p>'
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _records_table(rows: list, flag_names=()) -> str:
    """A list of dicts (a DataFrame's records) as a table; rows named in ``flag_names`` marked."""
    if not rows or not isinstance(rows[0], dict):
        return ""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for r in rows:
        name = next((str(r[c]) for c in ("measurement", "name", "feature", "index") if c in r), None)
        flagged = (name in flag_names) or bool(r.get("flag"))
        cells = "".join(f"<td>{_fmt(r.get(c))}</td>" for c in columns)
        body.append(f'<tr{" class=flag" if flagged else ""}>{cells}</tr>')
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _kv_table(tree: dict, skip=(), prefix: str = "") -> str:
    """Scalars of a nested dict as name/value rows; lists of records become their own tables."""
    rows, tables = [], []

    def walk(node, path):
        for key, value in node.items():
            if not path and key in skip:
                continue
            name = f"{path}.{key}" if path else str(key)
            if isinstance(value, dict):
                walk(value, name)
            elif isinstance(value, list):
                if value and all(isinstance(v, dict) for v in value) and len(value) <= 200:
                    tables.append(f"<h4>{html.escape(name)}</h4>{_records_table(value)}")
                elif value and all(isinstance(v, (int, float)) or v is None for v in value) and len(value) <= 12:
                    rows.append((name, ", ".join(_fmt(v) for v in value)))
                elif value and all(isinstance(v, str) for v in value) and len(value) <= 30:
                    rows.append((name, html.escape(", ".join(value))))
                else:
                    rows.append((name, f"{len(value)} values (in metrics.json)"))
            else:
                rows.append((name, _fmt(value)))

    walk(tree, prefix)
    table = "".join(f"<tr><td>{html.escape(n)}</td><td>{v}</td></tr>" for n, v in rows)
    return (f"<table><tr><th>quantity</th><th>value</th></tr>{table}</table>" if rows else "") + "".join(tables)


def _fidelity_tables(fid: dict) -> str:
    """Plausibility, embeddings, classifier test and quality as small readable tables."""
    out = []
    plaus = fid.get("plausibility")
    if isinstance(plaus, list) and plaus:
        out.append("<h3>Physiological plausibility</h3><p class=note>Share of ECGs inside each "
                   "stated range or check (ranges in Methods).</p>" + _records_table(plaus))
    emb = fid.get("embeddings")
    if isinstance(emb, dict) and emb:
        keys = ("frechet", "mmd2", "p_value", "precision", "recall", "density", "coverage")
        rows = [{"metric": k, **{name: (v.get(k) if isinstance(v, dict) else None)
                                 for name, v in emb.items()}} for k in keys]
        out.append("<h3>Distances in two embeddings</h3><p class=note>Fréchet distance and MMD² "
                   "(0 = same distribution; p-value from a permutation test); precision, recall, "
                   "density, coverage (k = 5 neighbours; 1 = ideal, recall and coverage measure "
                   "diversity).</p>" + _records_table(rows))
    c2st = fid.get("c2st")
    if isinstance(c2st, dict) and c2st.get("auc") is not None:
        out.append(f"<h3>Classifier two-sample test</h3><p>A classifier trained to tell real from "
                   f"synthetic reaches a cross-validated ROC AUC of <b>{_fmt(c2st.get('auc'))}</b> "
                   f"(95 % interval {_fmt(c2st.get('auc_low'))}–{_fmt(c2st.get('auc_high'))}); "
                   f"0.5 means it cannot tell them apart.</p>")
        imp = c2st.get("importance")
        if isinstance(imp, list) and imp:
            out.append("<p class=note>Features that separate them most:</p>" + _records_table(imp[:8]))
    quality = fid.get("quality")
    if isinstance(quality, dict) and quality:
        out.append("<h3>Measurable ECGs</h3>" + _records_table(
            [{"set": k, **v} for k, v in quality.items() if isinstance(v, dict)]))
    return "".join(out)


def _diversity_tables(div: dict) -> str:
    """Scalars at the top level of the diversity result, then its tables."""
    rows = [{"quantity": k, "value": v} for k, v in div.items()
            if not isinstance(v, (dict, list))]
    out = [_records_table(rows)] if rows else []
    for key, value in div.items():
        if isinstance(value, list) and value and isinstance(value[0], dict) and len(value) <= 100:
            out.append(f"<h4>{html.escape(key)}</h4>{_records_table(value)}")
    return "".join(out)


def _card(title: str, verdict: str, lines: list[tuple[str, object]], reasons=()) -> str:
    klass = VERDICT_CLASS.get(str(verdict), "warn")
    items = "".join(f"<li>{html.escape(k)}: <b>{_fmt(v)}</b></li>" for k, v in lines)
    why = ("<p class=note>Why: " + html.escape("; ".join(reasons)) + "</p>") if reasons else ""
    return (f'<div class="card {klass}"><h3>{html.escape(title)}</h3>'
            f'<div class="verdict">{html.escape(str(verdict))}</div><ul>{items}</ul>{why}</div>')


def render_html(result, figures: dict | None = None) -> str:
    """The report as one HTML string (figures built when not given)."""
    if figures is None:
        from .figures import build_figures

        figures = build_figures(result)
    data = result.to_dict()
    s, inputs = data["summary"], data["inputs"]
    fid, div, priv = data["fidelity"], data["diversity"], data["privacy"]
    flags = s["fidelity"]["flags"]
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<meta name=viewport content='width=device-width'>"
             f"<title>SynthECG evaluation report</title><style>{CSS}</style></head><body>",
             "<h1>SynthECG evaluation report</h1>",
             f'<p class="note">Synthetic: {html.escape(inputs["sources"]["synthetic"])} · real (training): '
             f'{html.escape(inputs["sources"]["train"])}'
             + (f' · real (holdout): {html.escape(inputs["sources"]["holdout"])}' if "holdout" in inputs["sources"] else "")
             + f' · seed {data["seed"]} · synthecg {html.escape(data["synthecg_version"])}'
             f' · schema {data["schema"]} v{data["version"]}</p>']

    # --- summary ---------------------------------------------------------------------------------
    parts.append("<h2 id=summary>Summary</h2><div class=cards>")
    parts.append(_card("Fidelity: do they measure like real ECGs?", s["fidelity"]["verdict"], [
        ("measurements flagged (|SMD| > %g)" % SMD_FLAG, s["fidelity"]["n_flags"]),
        ("real vs synthetic classifier AUC (0.5 = indistinguishable)", s["fidelity"]["c2st_auc"]),
        ("physiologically plausible, real", s["fidelity"]["plausible_real"]),
        ("physiologically plausible, synthetic", s["fidelity"]["plausible_synthetic"])]))
    parts.append(_card("Diversity: do they cover the real variety?", s["diversity"]["verdict"], [
        ("pairwise-distance ratio synthetic/real (1 = same spread)", s["diversity"]["distance_ratio"]),
        ("near-duplicate rate inside the synthetic set", s["diversity"]["near_duplicate_rate"]),
        ("mode-collapse alarm", s["diversity"]["alarm"])], s["diversity"].get("reasons") or ()))
    parts.append(_card("Privacy: does any ECG give away a patient?", s["privacy"]["verdict"], [
        ("membership-inference AUC (0.5 = no leak)", s["privacy"]["mia_auc"]),
        ("share closer to training than holdout (0.5 expected)", s["privacy"]["dcr_closer_to_train"]),
        ("possible copies of training ECGs", s["privacy"]["n_copies"])],
        s["privacy"].get("reasons") or ()))
    parts.append("</div>")
    gate = data["gate"]
    parts.append(f'<p>Publication gate (<code>--gate</code>): '
                 + ('<span class=gate-pass>passes</span>' if gate["passed"] else
                    '<span class=gate-fail>fails</span>: ' + html.escape("; ".join(gate["reasons"])))
                 + "</p>")

    # --- inputs ----------------------------------------------------------------------------------
    parts.append("<h2 id=inputs>Inputs</h2>")
    parts.append(f"<p>All sets compared at {_fmt(inputs['fs'])} Hz, {_fmt(inputs['duration_s'])} s "
                 f"({inputs['length']} samples), integer µV, on {len(inputs['leads'])} leads: "
                 f"{html.escape(', '.join(inputs['leads']))}.</p>")
    size_rows = [{"set": name, **sizes} for name, sizes in inputs["sizes"].items()]
    parts.append(_records_table(size_rows))
    if inputs["notes"]:
        parts.append("<p>What the input stage changed:</p><ul>"
                     + "".join(f"<li>{html.escape(n)}</li>" for n in inputs["notes"]) + "</ul>")
    parts.append(f'<p class="note">Measurement cache hits: {html.escape(str(data["measurement_cache_hits"]))}; '
                 f'stage times (s): {html.escape(str(data["timings_s"]))}</p>')

    # --- fidelity --------------------------------------------------------------------------------
    parts.append("<h2 id=fidelity>Fidelity</h2>")
    table = fid.get("table") if isinstance(fid, dict) else None
    if isinstance(table, list) and table:
        globals_ = [r for r in table if r.get("kind") != "amplitude"]
        amplitudes = [r for r in table if r.get("kind") == "amplitude"]
        parts.append(f"<h3>Measurement table</h3><p class=note>Real mean ± SD against synthetic; "
                     f"rows in red: |standardised mean difference| &gt; {SMD_FLAG:g}. KS: "
                     f"Kolmogorov–Smirnov statistic; Wasserstein in the measurement's unit.</p>"
                     + _records_table(globals_ or table, flags))
        if amplitudes and globals_:
            n_flag = sum(1 for r in amplitudes if r.get("flag"))
            parts.append(f"<details><summary>Per-lead amplitudes (µV): {len(amplitudes)} rows, "
                         f"{n_flag} flagged</summary>{_records_table(amplitudes, flags)}</details>")
    parts.append(_fidelity_tables(fid))
    parts.append("<h3>Distributions</h3>" + _img(figures, "distributions", "distributions of measurements"))
    qt = data["figures"]["qt_rr_fit"]
    parts.append("<h3>QT–RR relationship</h3><div class=pair><figure>"
                 + _img(figures, "qt_rr", "QT against RR") + "</figure><figure>"
                 + _records_table([{"set": k, **v} for k, v in qt.items()])
                 + "<figcaption>Least-squares line QT = intercept + slope × RR (ms). Real ECGs "
                   "show a slope of roughly 0.15–0.25; a flat or negative synthetic slope means "
                   "the generator does not adapt QT to heart rate.</figcaption></figure></div>")
    parts.append("<h3>Median beats per lead</h3>" + _img(figures, "median_beats", "median beats")
                 + f'<p class=note>Thin lines: each ECG\'s median beat (up to '
                 f'{data["figures"]["median_beat_ecgs"]["train"]} real, '
                 f'{data["figures"]["median_beat_ecgs"]["synthetic"]} synthetic); thick: their median.</p>')

    if "psd" in figures:
        parts.append("<h3>Power spectra per lead</h3>" + _img(figures, "psd", "power spectra"))
    parts.append("<details><summary>All fidelity numbers</summary>"
                 + _kv_table(fid, skip=("table",)) + "</details>")

    # --- diversity -------------------------------------------------------------------------------
    parts.append("<h2 id=diversity>Diversity</h2>" + _diversity_tables(div)
                 + "<details><summary>All diversity numbers</summary>" + _kv_table(div) + "</details>")

    # --- privacy ---------------------------------------------------------------------------------
    parts.append("<h2 id=privacy>Privacy audit</h2>")
    controls = data["figures"]["privacy_controls"]
    parts.append("<p>The audit runs twice more on sets whose answer is known: a <b>positive "
                 "control</b> (training ECGs shifted, rescaled and with noise added, posing as "
                 "synthetic: must fail) and a <b>negative control</b> (holdout ECGs posing as "
                 "synthetic: must pass). The verdict can only be <i>pass</i> when both behave.</p>")
    if priv.get("reasons"):
        parts.append("<p>Why this verdict:</p><ul>" + "".join(
            f"<li>{html.escape(str(r))}</li>" for r in priv["reasons"]) + "</ul>")
    if priv.get("untested"):
        parts.append("<p>What this audit could not test:</p><ul>" + "".join(
            f"<li>{html.escape(str(r))}</li>" for r in priv["untested"]) + "</ul>")
    if isinstance(priv.get("table"), list):
        parts.append("<h3>Audit statistics</h3>" + _records_table(priv["table"]))
    parts.append("<h3>The audit and its controls</h3>"
                 + _records_table([{"run": k, **v} for k, v in controls.items()]))
    parts.append(_img(figures, "privacy_controls", "audit and controls"))
    if "privacy_copies" in figures:
        parts.append("<h3>Possible copies</h3>" + _img(figures, "privacy_copies", "copies"))
    else:
        parts.append("<p>No synthetic ECG is closer to a training ECG than two different people "
                     "are (no copies to show).</p>")
    parts.append("<details><summary>All audit numbers</summary>" + _kv_table(priv) + "</details>")

    # --- ECGs on paper ---------------------------------------------------------------------------
    parts.append("<h2 id=ecgs>ECGs on paper</h2><p class=note>25 mm/s, 10 mm/mV; the first "
                 "ECGs of each set.</p><div class=pair>")
    for name in ("real", "synthetic"):
        for k in (1, 2):
            if f"ecg_{name}_{k}" in figures:
                parts.append(f"<figure>{_img(figures, f'ecg_{name}_{k}', f'{name} ECG {k}')}"
                             f"<figcaption>{name} ECG {k}</figcaption></figure>")
    parts.append("</div>")

    # --- methods ---------------------------------------------------------------------------------
    parts.append("<h2 id=methods>Methods and thresholds</h2><ul>"
                 f"<li><b>Inputs</b>: every set is resampled (polyphase) to the synthetic set's rate, "
                 f"cropped to its centre or zero-padded to {DURATION_S:g} s, reduced to the leads all "
                 f"sets share, converted to integer µV; ECGs with NaN samples are dropped; each set "
                 f"needs at least {MIN_ECGS} usable ECGs; a holdout holding an ECG identical (same "
                 f"integer samples, sha256) to a training ECG is refused.</li>"
                 "<li><b>Measurements</b>: SynthECG's measurement engine (multi-lead beat detection, "
                 "wavelet delineation; medians over beats), cached per content hash.</li>"
                 f"<li><b>Fidelity flag</b>: |standardised mean difference| &gt; {SMD_FLAG:g} "
                 "(Cohen's 'small' effect) between real and synthetic for a measurement. Plausible "
                 "ranges: heart rate 30–220 bpm, PR 80–320 ms, QRS 50–200 ms, QTc 300–600 ms, no flat "
                 "or clipped lead, limb-lead identities hold.</li>"
                 "<li><b>Embedding distances</b> (clinical and random-network embeddings): Fréchet "
                 "distance, MMD² (RBF kernel, median bandwidth, permutation p-value), precision / "
                 "recall / density / coverage with k = 5; classifier two-sample test: cross-validated "
                 "ROC AUC with a bootstrap interval, 0.5 = indistinguishable.</li>"
                 "<li><b>Diversity</b>: ratio of median within-set pairwise distances, near-duplicates "
                 "(synthetic pairs closer than the closest real pair), variance ratios; the mode-collapse "
                 "alarm uses the thresholds listed with the diversity figures above.</li>"
                 "<li><b>Privacy</b>: distance to closest record against training and holdout, "
                 "membership-inference attacks (distance and density ratio) with bootstrap intervals, "
                 "copy detection under all circular shifts; positive and negative controls run with "
                 "every audit; thresholds are listed with the audit figures above.</li>"
                 "<li><b>Gate</b>: fails when the privacy verdict is not <i>pass</i> or any "
                 "measurement is flagged.</li></ul>")
    parts.append('<p class="note">Generated by SynthECG; all numbers are in metrics.json.</p></body></html>')
    return "\n".join(parts)
