"""Synthetic P-QRS-T ECGs with exactly known onsets and offsets (sums of Hann pulses)."""

from __future__ import annotations

import numpy as np


def hann(n_samples: int, start: float, width: float, amplitude: float, fs: float) -> np.ndarray:
    """A raised-cosine pulse that is exactly zero outside [start, start + width) seconds."""
    t = np.arange(n_samples) / fs - start
    inside = (t >= 0) & (t < width)
    return np.where(inside, amplitude * 0.5 * (1 - np.cos(2 * np.pi * t / width)), 0.0)


def synthetic_ecg(fs=500.0, seconds=10.0, rr=0.8, pr=0.16, qrs=0.09, qt=0.40, scale=None,
                  noise_mv=0.0, seed=0, p_mv=0.15):
    """(12, n) mV and the truth {p_on, qrs_on, qrs_off, t_off: sample arrays} for every beat.

    Every lead carries the same timing with its own amplitude scale (negative = inverted).
    """
    n = int(seconds * fs)
    scale = np.linspace(1.0, 0.3, 12) * np.array([1, 1, 1, -1, 1, 1, -1, 1, 1, 1, 1, 1]) if scale is None else scale
    base = np.zeros(n)
    truth = {k: [] for k in ("p_on", "p_off", "qrs_on", "qrs_off", "t_off")}
    for r0 in np.arange(0.5, seconds - 0.6, rr):
        q_on = r0
        p_on, p_w = q_on - pr, 0.10
        base += hann(n, p_on, p_w, p_mv, fs)
        base += hann(n, q_on, qrs * 0.2, -0.10, fs)
        base += hann(n, q_on + qrs * 0.2, qrs * 0.45, 1.2, fs)
        base += hann(n, q_on + qrs * 0.65, qrs * 0.35, -0.30, fs)
        t_w = 0.20
        t_on = q_on + qt - t_w
        base += hann(n, t_on, t_w, 0.35, fs)
        for key, value in (("p_on", p_on), ("p_off", p_on + p_w), ("qrs_on", q_on),
                           ("qrs_off", q_on + qrs), ("t_off", q_on + qt)):
            truth[key].append(int(round(value * fs)))
    x = scale[:, None] * base[None, :]
    if noise_mv:
        x = x + np.random.default_rng(seed).normal(0, noise_mv, x.shape)
    return x, {k: np.asarray(v) for k, v in truth.items()}
