"""The fidelity proxy: burst trains that fool heart rate and delineation score badly, and so do
faint P waves that the delineator still finds, and dropped beats that leave the heart rate
normal."""

import numpy as np
import torch
from _memory_data import MemoryData

from synthecg.leads import INDEPENDENT_8
from synthecg.training.fidelity import (CAP, fidelity_proxy, high_frequency_share, proxy_measurements,
                                        rr_irregularity)

FS = 500.0
UV = 6000.0  # MemoryData's items are µV / 6000


def _stack(items):
    return torch.stack(items).numpy()


def _bursts(n: int, length: int, seed: int) -> np.ndarray:
    """Flat lines with short bursts of 100-200 Hz activity about once a second (what small
    generators produced after 20 CPU minutes): beats for a delineator, not an ECG."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n, len(INDEPENDENT_8), length), dtype=np.float32)
    for ecg in out:
        for start in range(100, length - 60, 480 + int(rng.integers(0, 40))):
            ecg[:, start:start + 50] = rng.normal(0.0, 0.12, (len(INDEPENDENT_8), 50))
    return out


def test_high_frequency_share_separates_ecgs_from_bursts():
    data = MemoryData(n_train=6, n_holdout=0)
    ecgs = _stack(data.train)
    assert np.all(high_frequency_share(ecgs, FS) < 0.05)
    assert np.all(high_frequency_share(_bursts(6, ecgs.shape[-1], 0), FS) > 0.3)
    # a share: the same for any amplitude scale
    np.testing.assert_allclose(high_frequency_share(3.0 * ecgs, FS), high_frequency_share(ecgs, FS))


def test_proxy_scores_bursts_worse_than_ecgs():
    data = MemoryData(n_train=16, n_holdout=16)
    real = proxy_measurements(UV * _stack(data.holdout), FS, INDEPENDENT_8)
    assert "high_frequency_share" in real
    good = fidelity_proxy(real, UV * _stack(data.train), FS, INDEPENDENT_8)
    bad = fidelity_proxy(real, UV * _bursts(16, 2500, 1), FS, INDEPENDENT_8)
    assert bad.distances["high_frequency_share"] == CAP
    assert good.distances["high_frequency_share"] < 1.0
    assert bad.score > good.score


def test_proxy_scores_faint_p_waves_worse_though_p_is_still_delineated():
    data = MemoryData(n_train=16, n_holdout=16)
    real = proxy_measurements(UV * _stack(data.holdout), FS, INDEPENDENT_8)
    good = fidelity_proxy(real, UV * _stack(data.train), FS, INDEPENDENT_8)
    faint_p = _stack(MemoryData(n_train=16, n_holdout=0, p_mv=0.03).train)  # P at a fifth
    faint = fidelity_proxy(real, UV * faint_p, FS, INDEPENDENT_8)
    assert faint.unmeasurable <= 0.25  # a P wave is still found in most ECGs ...
    assert faint.distances["p_amplitude_II"] > 5 * max(good.distances["p_amplitude_II"], 0.1)
    assert faint.score > good.score  # ... but the P amplitude gives the faint waves away


def test_proxy_scores_dropped_beats_worse_though_the_heart_rate_holds():
    # 6-s ECGs cut to 5 s: beats up to the window's end (MemoryData stops them 0.6 s before it)
    data = MemoryData(n_train=16, n_holdout=16, length=3000)
    real = proxy_measurements(UV * _stack(data.holdout)[..., :2500], FS, INDEPENDENT_8)
    regular = _stack(data.train)[..., :2500]
    paused = regular.copy()
    paused[:, :, 1000:1600] = 0.0  # 1.2 s without beats in each 5-s ECG: a beat or two dropped
    irregular = rr_irregularity(UV * paused, FS)
    assert np.all(rr_irregularity(UV * regular, FS) < -1.5)  # a metronome: CV under 3 %
    assert np.all(irregular > -1.0)  # one pause: CV over 10 %
    # a pause at the window's end counts as well: nothing after 3.2 s
    late = regular.copy()
    late[:, :, 1600:] = 0.0
    assert np.all(rr_irregularity(UV * late, FS) > -1.0)
    good = fidelity_proxy(real, UV * regular, FS, INDEPENDENT_8)
    bad = fidelity_proxy(real, UV * paused, FS, INDEPENDENT_8)
    assert bad.distances["heart_rate"] < 1.0  # the median interval is still the real one ...
    assert bad.distances["rr_irregularity"] > 2.0 + good.distances["rr_irregularity"]
    assert bad.score > good.score  # ... but the pauses give it away


def test_rr_irregularity_of_real_sinus_rhythm_and_of_the_same_records_with_dropped_beats():
    import pandas as pd
    from _realdata import shared, wfdb_batch

    table = pd.read_csv(shared("ludb", "ludb.csv"))
    sinus = [str(i) for i, rhythm in zip(table["ID"], table["Rhythms"])
             if str(rhythm).strip() == "Sinus rhythm"][:20]
    batch = wfdb_batch(shared("ludb", "data"), sinus)  # 12 leads, µV, 500 Hz, 10 s
    real = rr_irregularity(batch.signals, batch.fs)
    assert np.median(real) < -1.4  # a normal rhythm varies by a few per cent ...
    assert np.sum(real < -1.0) >= 18  # (sinus arrhythmia may reach 10-15 %)
    dropped = batch.signals.copy()
    dropped[:, :, 2000:2750] = 0  # 1.5 s flat in the middle of each record
    irregular = rr_irregularity(dropped, batch.fs)
    assert np.all(irregular > -0.7)  # ... a dropped beat by tens of per cent
    assert np.all(irregular > real)
