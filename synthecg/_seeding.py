"""Randomness, written once: (seed, index) -> an independent random generator.

Nothing in SynthECG reads global RNG state. ECG ``index`` of seed ``seed`` is drawn from the
``index``-th child of ``numpy.random.SeedSequence(seed)``, so it depends only on (seed, index):
not on batch size, process count, or which other ECGs were drawn before it.
"""

from __future__ import annotations

import numpy as np


def rng_for(seed: int, index: int) -> np.random.Generator:
    """The random generator of item ``index`` under ``seed`` (both non-negative integers)."""
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be non-negative, got seed={seed}, index={index}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def uniform_noise(seed: int, start: int, stop: int, shape: tuple[int, ...]) -> np.ndarray:
    """Noise U[-1, 1) of ``shape`` for items ``start..stop-1``: float32 array (stop-start, *shape).

    For a (channels, samples) shape the values are drawn time-major, so the array returned is
    a transposed view of (n, samples, channels) memory: the layout the generators' channels-last
    convolutions read without a copy.
    """
    drawn = tuple(reversed(shape))
    out = np.empty((stop - start, *drawn), dtype=np.float32)
    for row, index in enumerate(range(start, stop)):
        rng_for(seed, index).random(drawn, dtype=np.float32, out=out[row])
    out *= 2.0
    out -= 1.0
    return out.transpose(0, *range(len(shape), 0, -1))
