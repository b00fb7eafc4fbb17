"""SynthECG: train, generate and audit synthetic 12-lead ECGs.

Importing the package is cheap: torch is imported only by the functions that need it
(``synthecg.generate``, ``synthecg.models``).
"""

from __future__ import annotations

from .ecg import ECGBatch
from .errors import SynthECGError

__version__ = "0.1.0"
__all__ = ["ECGBatch", "SynthECGError", "generate", "__version__"]


def __getattr__(name: str):
    # Lazy: `synthecg.generate` pulls in torch; formats and measurement users should not pay.
    if name == "generate":
        from .generation import generate

        return generate
    raise AttributeError(f"module 'synthecg' has no attribute {name!r}")
