"""Counter-based randomness for training: every draw is a function of (seed, step, role, sample).

The generator noise, the gradient-penalty interpolation weights and the critic's phase-shuffle
shifts of global sample ``g`` in critic iteration ``c`` of generator step ``s`` come from
``numpy.random.SeedSequence(seed, spawn_key=(s, role, c, g))``. Consequences:

* exact resume needs no saved generator state: the step counter *is* the RNG state;
* a batch split over P processes draws exactly the randomness of the whole batch in one process
  (process r holds global samples ``j * P + r``, see :func:`global_indices`), which is what makes
  torchrun runs equal single-process runs;
* nothing reads or changes torch's or numpy's global RNG.

The cost (one SeedSequence per sample and role, ~20 µs) is negligible next to a GAN step.
"""

from __future__ import annotations

import numpy as np
import torch

# Roles: distinct streams that never share a spawn key.
CRITIC_NOISE, CRITIC_EPSILON, CRITIC_SHIFTS, GENERATOR_NOISE, GENERATOR_SHIFTS, EVAL_NOISE = range(6)
# Added later, numbered after the first six so that runs without augmentation draw as before.
CRITIC_AUGMENT, GENERATOR_AUGMENT = 6, 7


def _rng(seed: int, step: int, role: int, sub: int, index: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(step, role, sub, index))))


def global_indices(local_batch: int, rank: int, world: int) -> list[int]:
    """Global sample indices held by ``rank``: ``j * world + rank`` for j < local_batch (the
    order in which a DistributedSampler hands a global batch's indices to the processes)."""
    return [j * world + rank for j in range(local_batch)]


def noise(seed: int, step: int, role: int, sub: int, indices: list[int],
          shape: tuple[int, ...]) -> torch.Tensor:
    """U(-1, 1) noise (len(indices), *shape) float32, one row per global sample index."""
    out = np.empty((len(indices), *shape), dtype=np.float32)
    for row, index in enumerate(indices):
        _rng(seed, step, role, sub, index).random(shape, dtype=np.float32, out=out[row])
    return torch.from_numpy(out * 2.0 - 1.0)


def epsilon(seed: int, step: int, sub: int, indices: list[int]) -> torch.Tensor:
    """Interpolation weights U(0, 1), shape (len(indices), 1, 1) float32."""
    values = [_rng(seed, step, CRITIC_EPSILON, sub, index).random(dtype=np.float64)
              for index in indices]
    return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1)


def shifts(seed: int, step: int, role: int, sub: int, indices: list[int], n_layers: int,
           shift_factor: int) -> torch.Tensor:
    """Phase-shuffle shifts in [-shift_factor, shift_factor], int64 (n_layers, len(indices))."""
    rows = [_rng(seed, step, role, sub, index).integers(-shift_factor, shift_factor + 1, n_layers)
            for index in indices]
    return torch.from_numpy(np.stack(rows, axis=1).astype(np.int64)) if rows else \
        torch.zeros((n_layers, 0), dtype=torch.int64)


def time_shifts(seed: int, step: int, role: int, sub: int, indices: list[int],
                max_shift: int) -> torch.Tensor:
    """Augmentation time shifts in [-max_shift, max_shift], int64 (len(indices),)."""
    values = [_rng(seed, step, role, sub, index).integers(-max_shift, max_shift + 1)
              for index in indices]
    return torch.tensor(values, dtype=torch.int64)
