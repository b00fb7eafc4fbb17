"""The fidelity proxy used to pick the best checkpoint and to stop early.

GAN losses do not say when a GAN is good: the critic loss of WGAN-GP estimates a Wasserstein
distance *under the current critic*, which keeps moving, and the generator loss has no absolute
meaning. So the trainer scores samples in the domain's own terms: ECGs generated from fixed
noise are measured with :func:`synthecg.measure.measure` and compared with the held-out real
ECGs (never trained on): the distributions of heart rate, PR, QRS, QT, QTc (Bazett) and of the
P, R and T amplitudes in II and the R amplitude in V5 (the intervals alone are found even in the
small blips of an untrained generator, and a P wave is "found" before most beats even when none
is visible; the amplitudes are not fooled), and of the share of power above
40 Hz (:func:`high_frequency_share`): trains of high-frequency bursts get heart rates and even
P, QRS and T marks from the delineator, but real ECGs keep ~1 % of their power above 40 Hz;
and of the irregularity of the rhythm (:func:`rr_irregularity`): the heart rate is a median
over beat-to-beat intervals, so a generator that drops beats (pauses, empty stretches at the
window's ends) keeps a normal heart rate.

score = mean over the quantities of W1(real, synthetic) / IQR(real)  +  excess unmeasurable

W1 is the 1-D Wasserstein distance between the measurable values, divided by the real
interquartile range so the quantities weigh alike (capped at ``CAP``, also when a quantity is
measurable on fewer than two synthetic ECGs). "Unmeasurable" is the share of ECGs lacking any of
heart rate, PR, QRS and QT (no complete P-QRS-T); its excess over the real share is added, which
catches noise-like output that measurement rejects. Lower is better; 0 would be measurement
distributions identical to the holdout's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUANTITIES = ("heart_rate", "pr_interval", "qrs_duration", "qt_interval", "qtc_bazett",
              "p_amplitude_II", "r_amplitude_II", "t_amplitude_II", "r_amplitude_V5",
              "high_frequency_share", "rr_irregularity")
HF_HZ = 40.0  # the edge of high_frequency_share
COMPLETE = ("heart_rate", "pr_interval", "qrs_duration", "qt_interval")  # a full P-QRS-T
CAP = 5.0  # score of a quantity that cannot be compared (few or no measurable values)


@dataclass
class FidelityProxy:
    score: float
    distances: dict[str, float]
    unmeasurable: float

    def to_row(self) -> dict[str, float]:
        return {"fidelity_proxy": self.score, "unmeasurable_fraction": self.unmeasurable,
                **{f"w1_{name}": value for name, value in self.distances.items()}}


def proxy_measurements(signals_uv: np.ndarray, fs: float, leads):
    """Measure ECGs given in µV (n, leads, samples) -> DataFrame with every quantity of
    :data:`QUANTITIES` (the real ones once, the generated ones at every evaluation)."""
    from ..measure import measure

    table = measure(_batch(signals_uv, fs, leads))
    # the two quantities the measurement table lacks (its beat detection runs again in
    # rr_irregularity, ~5 ms per ECG, about a third of the measuring; once per evaluation)
    table["high_frequency_share"] = high_frequency_share(signals_uv, fs)
    table["rr_irregularity"] = rr_irregularity(signals_uv, fs)
    return table


def high_frequency_share(signals: np.ndarray, fs: float) -> np.ndarray:
    """Per ECG of ``signals`` (n, leads, samples), any scale: the share of its power (each lead's
    mean removed) above :data:`HF_HZ`. The shared normal ECGs: median 0.8 %, 95th percentile
    2.0 %; the built-in pretrained model 0.6 %; generators trained for 20 CPU minutes, 11-55 %."""
    x = np.asarray(signals, dtype=np.float64)
    power = np.abs(np.fft.rfft(x - x.mean(axis=-1, keepdims=True), axis=-1)) ** 2
    high = np.fft.rfftfreq(x.shape[-1], 1.0 / fs) > HF_HZ
    return power[..., high].sum(axis=(1, 2)) / np.maximum(power.sum(axis=(1, 2)), 1e-300)


def rr_irregularity(signals_uv: np.ndarray, fs: float) -> np.ndarray:
    """Per ECG of ``signals_uv`` (n, leads, samples; µV): log10 of the coefficient of variation
    (SD / mean) of its beat-to-beat intervals, floored at 1e-3; NaN with fewer than 3 beats.

    A stretch without beats at either end of the window longer than 1.5 median intervals counts
    as an interval too: a beat is missing there (a shorter one is the phase at which the window
    starts, or a beat cut by the window's edge that the detector leaves out). Not robust on
    purpose: one dropped beat should show. Log scale, because a normal rhythm varies by a few
    per cent (the shared normal ECGs: median CV 2 %, log10 -1.65, interquartile range 0.4-0.6)
    and small generators that drop beats by tens of per cent (medians of 20-minute CPU runs:
    CV 11-47 %, log10 -0.96 to -0.33): on a linear scale all of those would be capped alike.
    """
    from ..measure.delineation import detect_beats_batch

    x = np.asarray(signals_uv, dtype=np.float64) * 1e-3  # mV, the detector's thresholds' unit
    # the detector's fine-scale derivative ignores baseline wander: no high-pass needed
    x = x - x.mean(axis=-1, keepdims=True)
    out = np.full(x.shape[0], np.nan)
    for i, beats in enumerate(detect_beats_batch(x, fs)):
        if beats.size < 3:
            continue
        intervals = np.diff(beats).astype(np.float64)
        edges = np.array([beats[0], x.shape[-1] - 1 - beats[-1]], dtype=np.float64)
        intervals = np.concatenate([intervals, edges[edges > 1.5 * np.median(intervals)]])
        out[i] = np.log10(max(intervals.std() / intervals.mean(), 1e-3))
    return out


def fidelity_proxy(real_measurements, synthetic_uv: np.ndarray, fs: float, leads) -> FidelityProxy:
    """Score generated ECGs (µV, (n, leads, samples)) against real measurements."""
    from scipy.stats import wasserstein_distance

    synthetic = proxy_measurements(synthetic_uv, fs, leads)
    distances = {}
    for name in QUANTITIES:
        real = real_measurements[name].to_numpy(dtype=float)
        real = real[np.isfinite(real)]
        fake = synthetic[name].to_numpy(dtype=float)
        fake = fake[np.isfinite(fake)]
        if len(real) < 2 or len(fake) < 2:
            distances[name] = CAP
            continue
        q75, q25 = np.percentile(real, [75, 25])
        scale = max(q75 - q25, 1e-6 * max(abs(q75), 1.0))
        distances[name] = float(min(wasserstein_distance(real, fake) / scale, CAP))
    unmeasurable = _unmeasurable(synthetic)
    excess = max(0.0, unmeasurable - _unmeasurable(real_measurements))
    return FidelityProxy(float(np.mean(list(distances.values())) + excess), distances,
                         unmeasurable)


def _unmeasurable(table) -> float:
    if not len(table):
        return 1.0
    return float(table[list(COMPLETE)].isna().any(axis=1).mean())


def _batch(signals_uv: np.ndarray, fs: float, leads):
    from ..ecg import ECGBatch

    uv = np.rint(np.asarray(signals_uv, dtype=np.float64)).astype(np.int32)
    return ECGBatch(signals=uv, fs=fs, leads=tuple(leads), units="uV")
