"""``evaluate()``: the input stage, measurements, fidelity, diversity and the privacy audit in
one call, and :class:`EvaluationResult`, which holds every figure and writes the versioned JSON
(``metrics.json``) and the HTML report.

Stages, timed and shown as progress bars: inputs (read, harmonise, check), measure (cached per
content), fidelity, diversity, privacy. The metric functions are the agreed ones
(``fidelity``, ``diversity``, ``privacy_audit``); this module only calls them, collects their
``to_dict()`` and derives the verdicts and the gate from them.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._files import atomic_path
from .._progress import progress_bar
from ..errors import SynthECGError
from ._jsonable import jsonable
from .inputs import (EvaluationInputs, cached_measure, cached_rhythm_beats, content_hash,
                     prepare_inputs)

SCHEMA = "synthecg.evaluation"
SCHEMA_VERSION = 1
SMD_FLAG = 0.2
"""|standardised mean difference| above which a measurement is flagged (Cohen's "small")."""


def _metric_functions():
    """(fidelity, diversity, privacy_audit): imported here so `import synthecg.evaluate` stays
    light; tests replace this function to run the orchestrator on its own."""
    from .diversity import diversity
    from .fidelity import fidelity
    from .privacy import privacy_audit

    return fidelity, diversity, privacy_audit


@dataclass
class EvaluationResult:
    """Everything one evaluation found.

    ``inputs``: the harmonised sets and what the input stage changed; ``measurements``: one
    DataFrame per set (``synthecg.measure.measure`` columns); ``fidelity`` / ``diversity`` /
    ``privacy``: the metric results (each has ``to_dict()``); ``timings``: seconds per stage;
    ``cache_hits``: whether each set's measurements came from the cache.
    """

    inputs: EvaluationInputs
    measurements: dict[str, Any]
    fidelity: Any
    diversity: Any
    privacy: Any
    timings: dict[str, float] = field(default_factory=dict)
    cache_hits: dict[str, bool] = field(default_factory=dict)
    seed: int = 0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    # --- verdicts ------------------------------------------------------------------------------
    def fidelity_flags(self) -> list[str]:
        """Names of the measurements flagged by the fidelity table (|SMD| > 0.2)."""
        return fidelity_flags(self.fidelity)

    def summary(self) -> dict[str, Any]:
        """The verdicts on top of the report, with their key numbers."""
        fid = jsonable(self.fidelity.to_dict())
        div = jsonable(self.diversity.to_dict())
        priv = jsonable(self.privacy.to_dict())
        flags = self.fidelity_flags()
        alarm = _find(div, ("mode_collapse_alarm", "alarm", "mode_collapse"))
        return {
            "fidelity": {"verdict": "flagged" if flags else "ok", "flags": flags,
                         "n_flags": len(flags),
                         "c2st_auc": _find(fid, ("c2st_auc", "auc"), within=("c2st",)),
                         "plausible_real": _plausible(fid, "real"),
                         "plausible_synthetic": _plausible(fid, "synthetic")},
            "diversity": {"verdict": "alarm" if alarm else "ok", "alarm": bool(alarm),
                          "reasons": [str(r) for r in (div.get("reasons") or [])],
                          "distance_ratio": _find(div, ("pairwise_distance_ratio", "distance_ratio",
                                                        "median_distance_ratio")),
                          "near_duplicate_rate": _find(div, ("near_duplicate_rate",
                                                             "near_duplicates_rate",
                                                             "near_duplicate_fraction"))},
            "privacy": {"verdict": str(getattr(self.privacy, "verdict", priv.get("verdict"))),
                        "reasons": [str(r) for r in (priv.get("reasons") or [])],
                        "mia_auc": _number(getattr(self.privacy, "mia_auc", priv.get("mia_auc"))),
                        "dcr_closer_to_train": _number(getattr(
                            self.privacy, "dcr_closer_to_train", priv.get("dcr_closer_to_train"))),
                        "n_copies": _count(getattr(self.privacy, "copies", priv.get("copies")))},
        }

    def gate_failures(self) -> list[str]:
        """Why ``--gate`` fails: a privacy verdict other than pass, or fidelity flags."""
        reasons = []
        verdict = str(getattr(self.privacy, "verdict", "missing"))
        if verdict != "pass":
            reasons.append(f"privacy verdict is {verdict}")
        flags = [f.split(": ", 1)[-1] for f in self.fidelity_flags()]
        if flags:
            shown = ", ".join(flags[:5]) + (f" and {len(flags) - 5} more" if len(flags) > 5 else "")
            reasons.append(f"{len(flags)} fidelity flag{'s' * (len(flags) != 1)} "
                           f"(|SMD| > {SMD_FLAG}): {shown}")
        return reasons

    # --- output ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every number of the report, JSON-safe (NaN -> None), under a versioned schema."""
        from .. import __version__
        from .figures import figure_numbers

        return jsonable({
            "schema": SCHEMA, "version": SCHEMA_VERSION, "synthecg_version": __version__,
            "seed": self.seed,
            "inputs": self.inputs.to_dict(),
            "summary": self.summary(),
            "gate": {"passed": not self.gate_failures(), "reasons": self.gate_failures()},
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
            "peak_rss_mb_after": {k: (round(v, 1) if v is not None else None)
                                  for k, v in self.peak_rss_mb.items()},
            "measurement_cache_hits": dict(self.cache_hits),
            "fidelity": self.fidelity.to_dict(),
            "diversity": self.diversity.to_dict(),
            "privacy": self._privacy_dict(),
            "figures": figure_numbers(self),
        })

    def _privacy_dict(self) -> dict:
        data = dict(self.privacy.to_dict())
        table = getattr(self.privacy, "table", None)
        if "table" not in data and table is not None and hasattr(table, "columns"):
            data["table"] = table  # the audit's statistics, one row each (made JSON-safe below)
        return data

    def to_json(self, path=None, overwrite: bool = False) -> str:
        """The JSON text (strict: no NaN); written atomically to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
        if path is not None:
            with atomic_path(path, overwrite=overwrite) as tmp:
                tmp.write_text(text, encoding="utf-8")
        return text

    def to_html(self, path=None, overwrite: bool = False) -> str:
        """The self-contained HTML report; written atomically to ``path`` when given."""
        from .report import render_html

        text = render_html(self)
        if path is not None:
            with atomic_path(path, overwrite=overwrite) as tmp:
                tmp.write_text(text, encoding="utf-8")
        return text


def evaluate(real_train, synthetic, real_holdout=None, *, seed: int = 0, fs: float | None = None,
             max_synthetic: int | None = None, max_real: int | None = None,
             holdout_fraction: float | None = None, real_filter: str | None = None, cache_dir=None,
             progress: bool | None = None) -> EvaluationResult:
    """Evaluate ``synthetic`` ECGs against the real ECGs that trained the generator.

    ``real_train`` / ``real_holdout`` / ``synthetic``: ECGBatch, anything ``synthecg.io.read``
    accepts, or a training run directory (``records.json``); see
    :func:`synthecg.evaluate.inputs.prepare_inputs` for fs, leads, length, ``max_*``
    (subsampling with ``seed``), ``holdout_fraction`` and ``real_filter``. ``cache_dir``: measurement cache
    (None = default, False = off). ``progress``: bars on stderr (None = when a terminal).
    Raises SynthECGError (one line) for unusable inputs.
    """
    timings: dict[str, float] = {}
    rss: dict[str, float] = {}
    stages = ["inputs", "measure", "fidelity", "diversity", "privacy"]
    with progress_bar(len(stages), "evaluate", unit="stage", enabled=progress) as bar:
        def stage(name):
            if timings:  # the process's peak RSS when the previous stage ended
                rss[next(reversed(timings))] = _peak_rss_mb()
            bar.set_description(f"evaluate: {name}")
            return time.perf_counter()

        started = stage("inputs")
        inputs = prepare_inputs(real_train, synthetic, real_holdout, seed=seed, fs=fs,
                                max_synthetic=max_synthetic, max_real=max_real,
                                holdout_fraction=holdout_fraction, real_filter=real_filter)
        timings["inputs"] = time.perf_counter() - started
        bar.update(1)

        started = stage("measure")
        measurements, hits, digests = {}, {}, {}
        for name, batch in inputs.sets().items():
            digests[name] = content_hash(batch) if cache_dir is not False else None
            measurements[name], hits[name] = cached_measure(batch, cache_dir, progress=progress,
                                                            desc=f"measure {name}",
                                                            digest=digests[name])
        timings["measure"] = time.perf_counter() - started
        bar.update(1)

        fidelity_fn, diversity_fn, privacy_fn = _metric_functions()
        started = stage("fidelity")
        fid = fidelity_fn(inputs.train, inputs.synthetic, real_measurements=measurements["train"],
                          synthetic_measurements=measurements["synthetic"], seed=seed)
        timings["fidelity"] = time.perf_counter() - started
        bar.update(1)

        started = stage("diversity")
        div = diversity_fn(inputs.train, inputs.synthetic, real_measurements=measurements["train"],
                           synthetic_measurements=measurements["synthetic"], seed=seed)
        timings["diversity"] = time.perf_counter() - started
        bar.update(1)

        started = stage("privacy")
        extra = {}
        if "rhythm_beats" in inspect.signature(privacy_fn).parameters:
            # the audit's beat representation, read from / kept in the measurement cache:
            # beat detection is its slowest step, and a re-run should not repeat it
            extra["rhythm_beats"] = {}
            for name, batch in inputs.sets().items():
                extra["rhythm_beats"][name], hits[f"{name} beats"] = cached_rhythm_beats(
                    batch, cache_dir, digest=digests[name])
        priv = privacy_fn(inputs.train, inputs.holdout, inputs.synthetic, seed=seed, **extra)
        del extra
        timings["privacy"] = time.perf_counter() - started
        rss["privacy"] = _peak_rss_mb()
        bar.update(1)
    return EvaluationResult(inputs=inputs, measurements=measurements, fidelity=fid, diversity=div,
                            privacy=priv, timings=timings, cache_hits=hits, seed=seed,
                            peak_rss_mb=rss)


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory so far in MB (None where not measurable)."""
    try:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0
    except (ImportError, OSError):
        return None


def check_report_dir(out_dir, overwrite: bool = False):
    """The report folder as a Path, refused before any work when it cannot be written:
    an existing file, a non-empty folder without ``overwrite``, or a missing parent."""
    from pathlib import Path

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SynthECGError(f"--out: {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise SynthECGError(f"--out: {out} exists and is not empty; pass --overwrite to replace it")
    if not out.parent.resolve().is_dir():
        raise SynthECGError(f"--out: folder {out.parent} does not exist")
    return out


def write_report(result: EvaluationResult, out_dir, overwrite: bool = False) -> dict[str, str]:
    """Write ``report.html``, ``metrics.json`` and the figures (PNG) into ``out_dir``.

    Everything is built in a temporary sibling folder first, which is renamed to ``out_dir``
    only when complete: an error leaves no half-written report (an existing ``out_dir`` is
    refused unless ``overwrite``; it is then replaced as a whole). Returns file name -> path.
    """
    import os
    import shutil
    from pathlib import Path

    from .figures import build_figures
    from .report import render_html

    out = check_report_dir(out_dir, overwrite)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        figures = build_figures(result)
        written = {}
        for name, png in figures.items():
            (tmp / f"{name}.png").write_bytes(png)
            written[f"{name}.png"] = str(out / f"{name}.png")
        (tmp / "metrics.json").write_text(result.to_json(), encoding="utf-8")
        (tmp / "report.html").write_text(render_html(result, figures), encoding="utf-8")
        written["metrics.json"] = str(out / "metrics.json")
        written["report.html"] = str(out / "report.html")
        for entry in tmp.iterdir():
            with open(entry, "rb") as fh:
                os.fsync(fh.fileno())
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SynthECGError(f"--out: {out}: could not write the report ({exc.strerror or exc}); "
                            "nothing was left half-written") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return written


# --- helpers: reading the metric results without depending on their exact layout ---------------
def fidelity_flags(fid) -> list[str]:
    """Flagged measurement names: ``fid.flags`` when the result lists them, else the rows of
    ``fid.table`` whose ``flag`` column is true or whose |SMD| exceeds :data:`SMD_FLAG`."""
    flags = getattr(fid, "flags", None)
    if flags is not None and not callable(flags):
        return [str(f) for f in flags]
    table = getattr(fid, "table", None)
    if table is None or len(table) == 0:
        return []
    names = _row_names(table)
    if "flag" in table.columns:
        mask = table["flag"].fillna(False).astype(bool).to_numpy()
    else:
        smd_col = next((c for c in table.columns if str(c).lower() in ("smd", "standardised_mean_difference")), None)
        if smd_col is None:
            return []
        mask = (table[smd_col].abs() > SMD_FLAG).fillna(False).to_numpy()
    return [names[i] for i in np.flatnonzero(mask)]


def _plausible(fid: dict, side: str):
    """Share of ``side``'s ECGs passing every plausibility criterion (the "all" row)."""
    rows = fid.get("plausibility") if isinstance(fid, dict) else None
    if isinstance(rows, list):
        for row in rows:
            if isinstance(row, dict) and row.get("criterion") == "all":
                return row.get(side)
    return None


def _row_names(table) -> list[str]:
    for col in ("measurement", "name", "feature"):
        if col in table.columns:
            return [str(v) for v in table[col]]
    return [str(v) for v in table.index]


def _find(tree, keys, within=()):
    """First value under one of ``keys`` in a nested dict (inside a key containing one of
    ``within`` when given), depth first; None when absent."""
    if not isinstance(tree, dict):
        return None
    if within:
        for k, v in tree.items():
            if any(w in str(k).lower() for w in within):
                hit = v if not isinstance(v, dict) else _find(v, keys)
                if hit is not None and not isinstance(hit, (dict, list)):
                    return hit
        for v in tree.values():
            hit = _find(v, keys, within) if isinstance(v, dict) else None
            if hit is not None:
                return hit
        return None
    for k in keys:
        if k in tree and not isinstance(tree[k], (dict, list)):
            return tree[k]
    for v in tree.values():
        hit = _find(v, keys) if isinstance(v, dict) else None
        if hit is not None:
            return hit
    return None


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _count(copies) -> int | None:
    if copies is None:
        return None
    try:
        return len(copies)
    except TypeError:
        return None


