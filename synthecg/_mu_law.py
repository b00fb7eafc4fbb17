"""μ-law companding between the linear training scale (µV / scale_uv, in [-1, 1]) and what a
generator outputs and its critic sees.

    encode(x) = sign(x) ln(1 + μ|x|) / ln(1 + μ)        decode(y) = sign(y) ((1 + μ)^|y| - 1) / μ

Both map [-1, 1] onto itself, keep 0 and ±1, and are each other's inverse; μ = 0 means linear
(the DeepFake-ECG paper's scaling) and returns the input unchanged. Why: at µV / 2000 a P wave
(about 100 µV) spans 0.05 of the generator's tanh range and an R wave 0.35; with μ = 40 they
span 0.30 and 0.73, so the small waves get a larger share of the output range and of the
critic's input, and a fixed error in the generator's output becomes a smaller error in µV near
the baseline (WaveNet codes audio the same way, μ = 255).

Takes numpy arrays or torch tensors (same-named functions in both; torch is never imported).
"""

from __future__ import annotations

import math

import numpy as np


def _namespace(x):
    if type(x).__module__.split(".")[0] == "torch":
        import torch

        return torch
    return np


def mu_law_encode(x, mu: float):
    """Linear training scale -> companded, elementwise (same shape and dtype)."""
    if not mu:
        return x
    xp = _namespace(x)
    return xp.sign(x) * xp.log1p(mu * xp.abs(x)) / math.log1p(mu)


def mu_law_decode(y, mu: float):
    """Companded -> linear training scale, elementwise (same shape and dtype)."""
    if not mu:
        return y
    xp = _namespace(y)
    return xp.sign(y) * xp.expm1(xp.abs(y) * math.log1p(mu)) / mu
