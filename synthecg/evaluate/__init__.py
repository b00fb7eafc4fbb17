"""Evaluation of synthetic ECGs: fidelity, diversity, a privacy audit and one HTML report.

``evaluate(real_train=..., synthetic=..., real_holdout=...)`` runs the input stage
(:mod:`.inputs`), the cached measurements and the metric functions (``fidelity``,
``diversity``, ``privacy_audit``) and returns an :class:`EvaluationResult` (``to_json()``,
``to_html(path)``); ``write_report(result, DIR)`` writes ``report.html``, ``metrics.json`` and
the figures. ``import synthecg.evaluate`` stays light: torch, scikit-learn and matplotlib are
imported inside the functions that need them.
"""

from .diversity import DiversityResult, diversity
from .evaluation import EvaluationResult, evaluate, write_report
from .fidelity import FidelityResult, fidelity
from .inputs import EvaluationInputs, prepare_inputs
from .privacy import PrivacyAudit, privacy_audit

__all__ = ["evaluate", "EvaluationResult", "write_report", "EvaluationInputs", "prepare_inputs",
           "DiversityResult", "diversity", "FidelityResult", "fidelity", "PrivacyAudit",
           "privacy_audit"]
