"""Evaluation of synthetic ECGs against real ones: fidelity, diversity (and privacy, report).

``import synthecg.evaluate`` stays light: torch and scikit-learn are imported inside the
functions that need them.
"""

from .diversity import DiversityResult, diversity
from .fidelity import FidelityResult, fidelity

__all__ = ["DiversityResult", "FidelityResult", "diversity", "fidelity"]
