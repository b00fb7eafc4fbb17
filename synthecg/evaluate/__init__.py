"""Evaluation of synthetic ECGs: fidelity, diversity, a privacy audit and one HTML report.

``evaluate(real_train=..., synthetic=..., real_holdout=...)`` runs the input stage
(:mod:`.inputs`), the cached measurements, the metric functions and returns an
:class:`EvaluationResult` (``to_json()``, ``to_html(path)``); ``write_report(result, DIR)``
writes ``report.html``, ``metrics.json`` and the figures. Heavy libraries (torch, sklearn,
matplotlib) are imported inside the functions that need them.
"""

from .evaluation import EvaluationResult, evaluate, write_report
from .inputs import EvaluationInputs, prepare_inputs

__all__ = ["evaluate", "EvaluationResult", "write_report", "EvaluationInputs", "prepare_inputs"]
