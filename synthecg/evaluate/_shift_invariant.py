"""Representations of an ECG that do not depend on where in the recording its beats fall.

The privacy audit compares ECGs that a generator may have produced at any phase of the cardiac
cycle: a GAN that memorised a training ECG can emit it circularly shifted, so comparing raw
samples at equal times would miss the copy. Two representations are used:

* **Beat embedding** (:func:`beat_embedding`): the R-aligned median beat of every lead
  (:func:`synthecg.measure.median_beats`), averaged down to 100 Hz, plus two rhythm statistics
  (log median RR, robust RR variability). Euclidean distances in this space drive the
  distance-to-closest-record test, the membership attacks and the copy shortlist.
* **Circular cross-correlation** (:func:`band_spectra`, :func:`max_shift_similarity`): the raw
  10 s signals, band-limited to 0.5-40 Hz, compared under every circular shift; the similarity of
  two ECGs is the maximum over shifts of the lead-averaged normalised cross-correlation (one
  shift shared by all leads, as a shifted copy shifts every lead together). 1 means one ECG is
  a shifted copy of the other.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..ecg import ECGBatch

BEAT_FS = 100.0          # median beats are averaged down to this rate (Hz): shape, not noise
RHYTHM_WEIGHT = 0.25     # share of the embedding's variance given to rhythm (beats get 1)
RHYTHM_CLIP = 3.0        # rhythm z-scores are clipped to +-this
BAND_HZ = (0.5, 40.0)    # band of the cross-correlation: no baseline wander, no mains/EMG noise
LAG_GRID = 1000          # coarse shift grid of the cross-correlation (10 ms steps over 10 s)
REFINE_SAMPLES = 5       # the best coarse shift is refined to 1 sample within +-this many


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield start, min(n, start + size)


def rhythm_beats(batch: ECGBatch, known: tuple | None = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median beats and rhythm of every ECG, computed in threads (numpy/scipy release the GIL).

    ``known``: the ``(beats, rr_ms, n_beats)`` that :func:`synthecg.measure.median_beats`
    returned for this batch, when the caller has them (then only the RR variability is computed).

    Returns ``(beats, rr_ms, rr_cv)``: beats float32 mV (n, leads, window) from
    :func:`synthecg.measure.median_beats`, rr_ms (n,) the median RR interval and rr_cv (n,) the
    RR variability: median absolute deviation of the RR intervals over their median (robust to
    the one or two intervals a circular shift or a padded gap spoils), NaN where fewer than 3
    beats.
    """
    from ..measure import median_beats
    from ..measure.delineation import detect_beats_batch

    n = len(batch)
    scale = 1.0 if batch.units == "mV" else 1e-3

    def work(bounds):
        start, stop = bounds
        part = batch[start:stop]
        if known is None:
            beats, rr, _ = median_beats(part)
        else:
            beats, rr = known[0][start:stop], known[1][start:stop]
        cv = np.full(stop - start, np.nan)
        # the fine-scale derivative that detect_beats uses ignores baseline wander, so the
        # mean-removed signal finds the same beats without a second high-pass filter
        x = part.signals.astype(np.float64) * scale
        x -= x.mean(axis=-1, keepdims=True)
        for i, peaks in enumerate(detect_beats_batch(x, batch.fs)):
            if peaks.size >= 3:
                # robust: a circular shift or a missed beat spoils one or two intervals, which
                # must not move a record far from itself in the embedding
                intervals = np.diff(peaks).astype(np.float64)
                middle = np.median(intervals)
                cv[i] = np.median(np.abs(intervals - middle)) / middle
        return beats, rr, cv

    size = max(1, min(64, -(-n // (2 * (os.cpu_count() or 1)))))  # 64 x 8 x 5000 float64: 20 MB
    bounds = list(_chunks(n, size))
    if not bounds:
        return (np.zeros((0, batch.n_leads, 0), np.float32), np.zeros(0), np.zeros(0))
    out: list = [None, np.empty(n), np.empty(n)]

    def fill(bounds):
        # each chunk written into the result as it is done: the parts of 10,000 ECGs' median
        # beats (170 MB for 12 leads) never exist beside their concatenation
        start, stop = bounds
        beats, rr, cv = work(bounds)
        if out[0] is None:
            with lock:
                if out[0] is None:
                    out[0] = np.empty((n,) + beats.shape[1:], dtype=beats.dtype)
        out[0][start:stop], out[1][start:stop], out[2][start:stop] = beats, rr, cv

    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=min(len(bounds), os.cpu_count() or 1) or 1) as pool:
        list(pool.map(fill, bounds))
    return tuple(out)


def _downsample_beats(beats: np.ndarray, fs: float) -> np.ndarray:
    """(n, leads, window) -> (n, leads * window // f) by averaging f = round(fs / BEAT_FS) samples."""
    factor = max(1, int(round(fs / BEAT_FS)))
    n, leads, window = beats.shape
    usable = window - window % factor
    out = np.empty((n, leads * (usable // factor)), dtype=np.float64)
    for start, stop in _chunks(n, 1024):   # float64 copies of one chunk, not of 10,000 ECGs
        part = beats[start:stop, :, :usable].astype(np.float64)
        out[start:stop] = part.reshape(stop - start, leads, usable // factor, factor).mean(
            axis=-1).reshape(stop - start, -1)
    return out


class BeatEmbedding:
    """Maps (median beats, rr_ms, rr_cv) to vectors whose Euclidean distance compares ECGs.

    Fitted on real ECGs (``fit``): the beat block is divided by the square root of its total
    variance over those ECGs, so the beats contribute variance 1; the rhythm block (z-scores of
    log RR and RR variability) contributes :data:`RHYTHM_WEIGHT`: heart rate changes from one day to the
    next in the same person, so it identifies a person far less than the shape of the beats.
    ECGs with no whole beat get the real mean (a zero row after centring): they sit at the
    centre, not near any one record.
    """

    def __init__(self, fs: float):
        self.fs = fs

    def _raw(self, beats, rr_ms, rr_cv):
        b = _downsample_beats(beats, self.fs)
        r = np.column_stack([np.log(rr_ms), rr_cv])
        return b, r

    def fit(self, beats, rr_ms, rr_cv) -> "BeatEmbedding":
        b, r = self._raw(beats, rr_ms, rr_cv)
        self.beat_mean = np.nanmean(b, axis=0)
        self.beat_mean = np.nan_to_num(self.beat_mean)
        total = np.nansum(np.nanvar(b, axis=0))
        self.beat_scale = float(np.sqrt(total)) if np.isfinite(total) and total > 0 else 1.0
        self.rhythm_mean = np.nan_to_num(np.nanmean(r, axis=0))
        sd = np.nanstd(r, axis=0)
        self.rhythm_sd = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
        return self

    def transform(self, beats, rr_ms, rr_cv) -> np.ndarray:
        """Float64 array (n, dim)."""
        b, r = self._raw(beats, rr_ms, rr_cv)
        b = np.nan_to_num((b - self.beat_mean) / self.beat_scale)
        # z-scores clipped at +-RHYTHM_CLIP: one odd rhythm value (a padded gap, a missed beat)
        # must not outweigh the beats that identify the person
        z = np.clip(np.nan_to_num((r - self.rhythm_mean) / self.rhythm_sd), -RHYTHM_CLIP, RHYTHM_CLIP)
        r = z * np.sqrt(RHYTHM_WEIGHT / r.shape[1])
        return np.hstack([b, r])


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances (len(a), len(b)) between rows, float64."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.maximum(sq, 0.0))


def band_spectra(batch: ECGBatch, band_hz: tuple[float, float] = BAND_HZ,
                 start: int = 0, stop: int | None = None) -> np.ndarray:
    """Normalised band spectra of ECGs start..stop: complex64 (n, leads, bins).

    Each lead is Fourier transformed once; only the bins inside ``band_hz`` are kept and scaled
    so their squared magnitudes sum to 1, which makes the circular cross-correlation of two
    leads their Pearson correlation at each shift. A lead with no energy in the band stays zero.
    """
    stop = len(batch) if stop is None else stop
    # float32 in, complex64 out (numpy >= 2 transforms in single precision): correlations do
    # not need more, and it halves time and memory. Samples are finite (the audit checks).
    x = batch.signals[start:stop]
    x = x.astype(np.float32) if x.dtype != np.float32 else x
    n_samples = x.shape[-1]
    duration = n_samples / batch.fs
    lo = max(1, int(np.ceil(band_hz[0] * duration)))
    hi = min(n_samples // 2 - 1, int(np.floor(band_hz[1] * duration)))
    spec = np.fft.rfft(x, axis=-1)[..., lo:hi + 1]
    norm = np.sqrt((np.abs(spec) ** 2).sum(axis=-1, keepdims=True))
    return np.divide(spec, norm, out=np.zeros_like(spec), where=norm > 0)


def band_offset(batch: ECGBatch, band_hz: tuple[float, float] = BAND_HZ) -> int:
    """Index of the first kept bin (the bins of :func:`band_spectra` are lo..hi)."""
    return max(1, int(np.ceil(band_hz[0] * batch.n_samples / batch.fs)))


def cross_all(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lead-averaged cross-spectra of every pair: a (m, leads, bins), b (n, leads, bins) ->
    complex (m, n, bins), one batched matrix product per frequency bin."""
    lhs = np.ascontiguousarray(np.conj(a).transpose(2, 0, 1))        # (bins, m, leads)
    rhs = np.ascontiguousarray(b.transpose(2, 1, 0))                 # (bins, leads, n)
    return (lhs @ rhs).transpose(1, 2, 0) / a.shape[1]


def cross_listed(a: np.ndarray, b: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Lead-averaged cross-spectra of each row of a with its candidate rows of b:
    a (m, leads, bins), candidates (m, k) indices into b -> complex (m, k, bins)."""
    return np.einsum("mlf,mklf->mkf", np.conj(a), b[candidates], optimize=True) / a.shape[1]


def max_shift_similarity(cross: np.ndarray, lo: int, n_samples: int,
                         lag_grid: int = LAG_GRID) -> tuple[np.ndarray, np.ndarray]:
    """Maximum over circular shifts of the lead-averaged correlation, from cross-spectra.

    cross: complex (..., bins) from :func:`cross_all` or :func:`cross_listed` (band spectra of
    :func:`band_spectra`, ``lo`` the first bin's index, ``n_samples`` the signals' length).
    Returns ``(similarity, shift)`` of shape ``cross.shape[:-1]``: float64 in [-1, 1] and the
    circular shift s in samples with ``np.roll(second, s, axis=-1)`` best matching the first. The maximum is
    searched on a ``lag_grid``-point grid by one inverse FFT per pair, then refined to one
    sample within +-REFINE_SAMPLES of the best grid point.
    """
    shape = cross.shape[:-1]
    cross = cross.reshape(-1, cross.shape[-1])
    bins = cross.shape[-1]
    grid = max(lag_grid, 2 * (lo + bins) + 2)
    padded = np.zeros((cross.shape[0], grid // 2 + 1), dtype=np.complex64)
    padded[:, lo:lo + bins] = cross
    # irfft gives (2/grid) Re sum_k P_k e^{2 pi i k j / grid}; the correlation is Re sum_k P_k ...
    curve = np.fft.irfft(padded, n=grid, axis=-1) * (grid / 2.0)
    best = np.argmax(curve, axis=-1)
    rows = np.arange(len(best))
    offsets = np.arange(-REFINE_SAMPLES, REFINE_SAMPLES + 1)
    centre = np.round(best * (n_samples / grid))
    k = np.arange(lo, lo + bins)
    # e^{2 pi i k (c + o) / N} = e^{2 pi i k c / N} e^{2 pi i k o / N}: one exp per pair and bin,
    # then a small matrix product for the 2R+1 offsets
    # phases reduced modulo n_samples first so float32 keeps them exact enough
    turned = cross * np.exp((2j * np.pi / n_samples)
                            * ((centre[:, None] * k[None, :]) % n_samples)).astype(np.complex64)
    steps = np.exp(2j * np.pi * offsets[:, None] * k[None, :] / n_samples).astype(np.complex64)
    fine = np.real(turned @ steps.T)                                           # (pairs, 2R+1)
    pick = np.argmax(fine, axis=-1)
    similarity = np.minimum(np.maximum(fine[rows, pick], curve[rows, best]), 1.0)  # float32 rounding
    # the peak at lag t means b[i + t] ~ a[i], i.e. a ~ np.roll(b, -t)
    shift = (-(centre + offsets[pick]) % n_samples).astype(np.int64)
    return similarity.reshape(shape), shift.reshape(shape)
