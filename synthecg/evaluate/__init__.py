"""Evaluation of synthetic ECGs against real ones: fidelity, diversity, privacy (and report).

``import synthecg.evaluate`` stays light: torch and scikit-learn are imported inside the
functions that need them.
"""

from .diversity import DiversityResult, diversity
from .fidelity import FidelityResult, fidelity
from .privacy import PrivacyAudit, privacy_audit

__all__ = ["DiversityResult", "FidelityResult", "PrivacyAudit", "diversity", "fidelity",
           "privacy_audit"]
