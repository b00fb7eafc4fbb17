"""Differentiable augmentation of the critic's input, for training on few ECGs.

With a few hundred records a WGAN critic can learn the training ECGs themselves, and its
gradient then tells the generator about those records rather than about ECGs. Differentiable
augmentation (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
NeurIPS 2020) applies the *same kind* of random transformation to real and generated ECGs
every time the critic sees them, in the critic's steps and in the generator's, so the critic
cannot tell them apart by the transformation and the generator still learns the untransformed
distribution (the transformation is applied to its output, not learned into it).

The transformation here is a random circular time shift of the whole 10-s window: a normal
ECG is as plausible starting anywhere in its cardiac cycle. All leads of one ECG move together
(their timing relation is physiology). The wrap-around seam appears in real and generated ECGs
alike. Shifts come from :mod:`synthecg.training.randomness`, so resume and torchrun equality
hold with augmentation on.
"""

from __future__ import annotations

import torch


def max_shift(fraction: float, length: int) -> int:
    """The largest shift in samples for a ``fraction`` of a ``length``-sample window."""
    return int(round(fraction * length))


def roll_each(x: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Circularly shift each ECG of ``x`` (batch, leads, samples) by its own number of samples.

    ``shifts``: int64 (batch,); positive moves the signal later in time (as ``torch.roll``).
    Differentiable in ``x`` (a gather, whose gradient scatters back).
    """
    if x.shape[0] != shifts.shape[0]:
        raise ValueError(f"{x.shape[0]} ECGs but {shifts.shape[0]} shifts")
    length = x.shape[-1]
    positions = torch.arange(length, device=x.device)
    source = (positions.unsqueeze(0) - shifts.to(x.device).unsqueeze(1)) % length
    return x.gather(-1, source.unsqueeze(1).expand(-1, x.shape[1], -1))
