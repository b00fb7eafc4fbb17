import numpy as np
import pytest

import synthecg
from synthecg import ECGBatch, SynthECGError
from synthecg.plot import overlay, overlay_figure
from synthecg.plot.overlay import _r_peaks


def _pulse_train(fs=500, seconds=10.0, rate_bpm=72):
    """A flat ECG with narrow 1-mV triangular 'R waves' at a fixed rate, 12 leads, mV."""
    n = int(fs * seconds)
    x = np.zeros(n)
    peaks = np.arange(int(0.5 * fs), n - int(0.5 * fs), int(fs * 60 / rate_bpm))
    width = int(0.04 * fs)
    for p in peaks:
        x[p - width:p + width + 1] = 1.0 - np.abs(np.arange(-width, width + 1)) / width
    return ECGBatch(np.tile(x, (1, 12, 1)), fs=fs, leads=synthecg.leads.STANDARD_12, units="mV"), peaks


@pytest.mark.parametrize("fs", [250, 500, 1000])
def test_r_peaks_found_once_per_beat_at_any_rate(fs):
    batch, peaks = _pulse_train(fs=fs)
    found = _r_peaks(batch.signals[0], fs)
    assert len(found) == len(peaks) and np.all(np.abs(found - peaks) <= 0.01 * fs)


def test_overlay_of_real_and_generated_ecgs(cinc2021, tmp_path):
    fake = synthecg.generate(3, seed=2)
    fig = overlay_figure(cinc2021[:6], fake)
    gids = {line.get_gid() for ax in fig.axes for line in ax.get_lines()}
    for lead in synthecg.leads.STANDARD_12:
        assert {f"median-real-{lead}", f"median-synthetic-{lead}"} <= gids
    # the aligned median beat peaks at 0 ms in lead II of a clean pulse train
    train, _ = _pulse_train()
    fig = overlay_figure(train, train[0:1], leads=["II"])
    (median,) = [l for l in fig.axes[0].get_lines() if l.get_gid() == "median-real-II"]
    t, y = median.get_data()
    assert t[np.argmax(y)] == pytest.approx(0.0) and y.max() == pytest.approx(1.0)
    path = overlay(cinc2021[:6], synthecg.leads.independent_8(fake), tmp_path / "overlay.png", dpi=60)
    assert path.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(SynthECGError, match="already exists"):
        overlay(cinc2021, fake, path)


def test_overlay_without_beats_is_a_clear_error():
    flat = ECGBatch(np.zeros((1, 12, 5000), np.int16), fs=500, leads=synthecg.leads.STANDARD_12)
    train, _ = _pulse_train()
    with pytest.raises(SynthECGError, match="no beats found in the synthetic ECGs"):
        overlay_figure(train, flat)


def test_importing_the_plot_package_does_not_import_matplotlib_or_torch():
    import subprocess
    import sys

    code = ("import sys, synthecg.plot, synthecg.io.convert; "
            "print('torch' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
