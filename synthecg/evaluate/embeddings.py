"""Two embeddings of ECGs in which real and synthetic sets are compared (docs/evaluation-metrics.md).

clinical
    The measurements of :func:`synthecg.measure.measure` that a cardiologist reads (heart rate,
    PR, QRS, QT, QTc Bazett, P/QRS/T axes; P, Q, R, S, T amplitudes and ST level of the 8
    independent leads), NaN imputed with the median and standardised (SD floored at each
    measurement's resolution, values clipped to ±10), followed by the first 12 principal
    components of the median beats of the 8 independent leads (scores divided by each
    component's SD). In :func:`synthecg.evaluate.fidelity` the medians, means, SDs and axes
    are those of the real and synthetic subsamples pooled (equal sizes; see
    ``ClinicalEmbedding.fit`` for why not the real set alone).
random network
    A randomly initialised, never trained 1-D CNN (fixed seed) with global average pooling,
    as Naeem et al. (2020) propose where no trusted pretrained network exists: 8 independent
    leads in mV, resampled to 250 Hz, per-lead mean removed; four convolutions (kernel 7,
    stride 2, 32-64-128-128 channels, He-normal weights drawn with numpy from the seed,
    leaky ReLU 0.2); the 128 pooled channels standardised with the mean and SD of both
    subsamples pooled.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .._seeding import rng_for
from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8

GLOBAL_FEATURES = ("heart_rate", "pr_interval", "qrs_duration", "qt_interval", "qtc_bazett",
                   "p_axis", "qrs_axis", "t_axis")
AMPLITUDE_FEATURES = tuple(f"{wave}_amplitude_{lead}" for lead in INDEPENDENT_8
                           for wave in ("p", "q", "r", "s", "t")) + tuple(
    f"st_level_{lead}" for lead in INDEPENDENT_8)
CLINICAL_FEATURES = GLOBAL_FEATURES + AMPLITUDE_FEATURES
AXES = ("p_axis", "qrs_axis", "t_axis")
BEAT_COMPONENTS = 12
NETWORK_FS = 250.0
NETWORK_CHANNELS = (32, 64, 128, 128)
NETWORK_KERNEL = 7


def wrap_axes(values: np.ndarray) -> np.ndarray:
    """Axes (degrees, -180..180 from measure) wrapped to [-90, 270): the cut then falls in the
    rare north-west quadrant instead of between normal left (-30) and right (+120) axes."""
    return np.where(values < -90.0, values + 360.0, values)


def measurement_matrix(measurements: pd.DataFrame, columns=CLINICAL_FEATURES) -> np.ndarray:
    """(n, len(columns)) float64 from a measure() DataFrame, axes wrapped, NaN kept."""
    missing = [c for c in columns if c not in measurements.columns]
    if missing:
        raise SynthECGError(f"measurements: missing columns {', '.join(missing[:5])} "
                            "(expected a synthecg.measure.measure DataFrame)")
    x = measurements[list(columns)].to_numpy(dtype=np.float64, copy=True)
    for j, name in enumerate(columns):
        if name in AXES:
            x[:, j] = wrap_axes(x[:, j])
    return x


def sd_floor(columns=CLINICAL_FEATURES) -> np.ndarray:
    """The smallest SD each measurement is standardised with, its meaningful resolution:
    20 µV for amplitudes, 4 ms for intervals, 5 degrees for axes, 2 bpm for heart rate.
    A real set whose Q waves in V3 are almost all 0 µV has an SD of 2 µV; one synthetic
    Q of -700 µV would then sit 300 SDs away and alone decide every distance."""
    floors = []
    for name in columns:
        if "amplitude" in name or name.startswith("st_level"):
            floors.append(20.0)
        elif name.endswith("_axis"):
            floors.append(5.0)
        elif name == "heart_rate":
            floors.append(2.0)
        else:
            floors.append(4.0)
    return np.array(floors)


Z_CLIP = 10.0  # standardised values beyond ±10 SD are clipped: far is far, no need for farther


def imputed_statistics(x: np.ndarray, columns=CLINICAL_FEATURES
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of real measurements (n, d) with NaN: the median (0 for a column no ECG
    has), and the mean and SD after imputing NaN with that median (SD >= :func:`sd_floor`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        median = np.nanmedian(x, axis=0)
    median = np.where(np.isfinite(median), median, 0.0)
    filled = np.where(np.isfinite(x), x, median)
    mean, sd = filled.mean(axis=0), filled.std(axis=0)
    return median, mean, np.maximum(sd, sd_floor(columns))


@dataclass
class ClinicalEmbedding:
    """The clinical embedding fitted on a real set; ``transform`` maps any set into it.

    Attributes: ``feature_names`` (measurement names then ``beat_pc1``...), ``median``,
    ``mean``, ``sd`` (real statistics of the measurements), ``beat_mean`` (8 * window,),
    ``components`` (k, 8 * window) and ``component_sd`` (k,) of the median-beat PCA.
    """

    feature_names: list[str]
    median: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    beat_mean: np.ndarray
    components: np.ndarray
    component_sd: np.ndarray

    @classmethod
    def fit(cls, measurements: pd.DataFrame, beats: np.ndarray,
            n_components: int = BEAT_COMPONENTS) -> "ClinicalEmbedding":
        """Fit on ``measurements`` (measure() rows) and ``beats`` (n, 8, window) mV.

        :func:`synthecg.evaluate.fidelity` passes the real and synthetic subsamples pooled
        (equal sizes). Statistics fitted on one small set capture that set's own sampling
        noise: principal axes follow its chance directions of spread, standardising divides
        by its chance small SDs, so a second sample of the same population looks further
        away than it is (real-vs-real halves of 22 ECGs gave MMD permutation p = 0.005 with
        real-only fitting). Pooled statistics treat both sets alike, which keeps the MMD
        permutation test exact.
        """
        median, mean, sd = imputed_statistics(measurement_matrix(measurements))
        flat = _flat_beats(beats)
        ok = np.isfinite(flat).all(axis=1)
        if ok.sum() < 2:
            raise SynthECGError("beats: fewer than 2 ECGs with a median beat; "
                                "cannot fit the clinical embedding")
        beat_mean = flat[ok].mean(axis=0)
        components, component_sd = _pca(flat[ok] - beat_mean, n_components)
        names = list(CLINICAL_FEATURES) + [f"beat_pc{i + 1}" for i in range(len(components))]
        return cls(names, median, mean, sd, beat_mean, components, component_sd)

    def transform(self, measurements: pd.DataFrame, beats: np.ndarray,
                  impute: bool = True) -> np.ndarray:
        """(n, d) float64 embedding; with ``impute=False`` missing measurements stay NaN
        (for classifiers that use missingness). ECGs without a median beat get the real mean
        beat (scores 0)."""
        x = measurement_matrix(measurements)
        if impute:
            x = np.where(np.isfinite(x), x, self.median)
        z = np.clip((x - self.mean) / self.sd, -Z_CLIP, Z_CLIP)
        flat = _flat_beats(beats)
        flat = np.where(np.isfinite(flat).all(axis=1, keepdims=True), flat, self.beat_mean)
        scores = (flat - self.beat_mean) @ self.components.T / self.component_sd
        return np.concatenate([z, scores], axis=1)


def _pca(centred: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """Principal axes (k, d) and score SDs (k,) of centred rows (n, d), n usually << d:
    from the eigenvectors of the n x n Gram matrix, much cheaper than an SVD of (n, d)."""
    n = len(centred)
    values, vectors = np.linalg.eigh(centred @ centred.T)
    order = np.argsort(values)[::-1]
    k = int(min(n_components, max(n - 1, 1)))
    values, vectors = np.clip(values[order[:k]], 0.0, None), vectors[:, order[:k]]
    singular = np.sqrt(values)
    axes = (vectors.T @ centred) / np.where(singular > 0, singular, 1.0)[:, None]
    score_sd = singular / np.sqrt(max(n - 1, 1))
    return axes, np.where(score_sd > 0, score_sd, 1.0)


def _flat_beats(beats: np.ndarray) -> np.ndarray:
    beats = np.asarray(beats, dtype=np.float64)
    if beats.ndim != 3:
        raise SynthECGError(f"beats: expected (n, leads, window) median beats, got shape {beats.shape}")
    return beats.reshape(len(beats), -1)


def independent_beats(batch: ECGBatch) -> np.ndarray:
    """Median beats (n, 8, window) float32 mV of the 8 independent leads (measure.median_beats)."""
    from ..measure import median_beats

    beats, _, _ = median_beats(batch.select(INDEPENDENT_8))
    return beats


# --- random network -------------------------------------------------------------------------

def random_network_features(batch: ECGBatch, seed: int = 0, chunk: int = 64) -> np.ndarray:
    """Pooled activations (n, 128) float64 of the fixed-seed random CNN (not standardised).

    The same seed gives the same network on every machine: weights are drawn with numpy from
    ``synthecg._seeding.rng_for(seed, layer)``, not from torch's global generator.
    """
    import torch
    import torch.nn.functional as F
    from scipy.signal import resample_poly

    weights = _network_weights(seed)
    ratio = Fraction(NETWORK_FS / batch.fs).limit_denominator(1000)
    x8 = batch.select(INDEPENDENT_8)
    scale = np.float32(1.0 if batch.units == "mV" else 1e-3)
    out = np.empty((len(batch), NETWORK_CHANNELS[-1]), dtype=np.float64)
    with torch.no_grad():
        for start in range(0, len(batch), chunk):
            x = x8.signals[start:start + chunk].astype(np.float32) * scale
            x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
            if ratio != 1:
                x = resample_poly(x, ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)
            x = x - x.mean(axis=-1, keepdims=True)
            h = torch.from_numpy(np.ascontiguousarray(x))
            for w in weights:
                h = F.leaky_relu(F.conv1d(h, w, stride=2, padding=NETWORK_KERNEL // 2), 0.2)
            out[start:start + len(x)] = h.mean(dim=-1).double().numpy()
    return out


def _network_weights(seed: int) -> list:
    import torch

    weights, in_channels = [], len(INDEPENDENT_8)
    for layer, out_channels in enumerate(NETWORK_CHANNELS):
        fan_in = in_channels * NETWORK_KERNEL
        w = rng_for(seed, layer).normal(0.0, np.sqrt(2.0 / fan_in),
                                        (out_channels, in_channels, NETWORK_KERNEL))
        weights.append(torch.from_numpy(w.astype(np.float32)))
        in_channels = out_channels
    return weights


def standardise(real: np.ndarray, synthetic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays standardised per column with the mean and SD of the two pooled (SD 0 -> 1):
    a symmetric map, so permutation tests on the result stay exact."""
    pooled = np.concatenate([real, synthetic])
    mean, sd = pooled.mean(axis=0), pooled.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (real - mean) / sd, (synthetic - mean) / sd
