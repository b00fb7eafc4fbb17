"""Global measurements: known intervals, units and leads, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from _synthetic_beats import synthetic_ecg
from _realdata import shared, wfdb_batch

from synthecg import ECGBatch, SynthECGError
from synthecg.leads import INDEPENDENT_8, STANDARD_12, limb_leads_from_i_ii
from synthecg.measure import measure
from synthecg.measure.globals import columns


def _batch(x, fs=500.0, units="mV"):
    # a consistent 12-lead ECG: limb leads derived from I and II
    x = x.copy()
    derived = limb_leads_from_i_ii(x[0], x[1])
    for name, v in derived.items():
        x[STANDARD_12.index(name)] = v
    if units == "uV":
        return ECGBatch(np.rint(x * 1000).astype(np.int32)[None], fs, STANDARD_12, "uV")
    return ECGBatch(x.astype(np.float32)[None], fs, STANDARD_12, "mV")


def test_known_intervals_are_measured():
    x, _ = synthetic_ecg(rr=0.8, pr=0.16, qrs=0.09, qt=0.40)
    row = measure(_batch(x)).iloc[0]
    assert row["quality"] == "ok"
    assert row["heart_rate"] == pytest.approx(75.0, abs=0.5)
    assert row["rr_interval"] == pytest.approx(800.0, abs=4)
    assert row["pr_interval"] == pytest.approx(160.0, abs=15)
    assert row["qrs_duration"] == pytest.approx(90.0, abs=25)
    assert row["qt_interval"] == pytest.approx(400.0, abs=20)
    assert row["qtc_bazett"] == pytest.approx(row["qt_interval"] / np.sqrt(0.8))
    assert row["r_amplitude_I"] == pytest.approx(1200.0, rel=0.15)
    assert row["s_amplitude_I"] < 0 and row["q_amplitude_I"] <= 0
    assert row["t_amplitude_I"] == pytest.approx(350.0, rel=0.2)


def test_units_leads_and_fs_agree():
    x, _ = synthetic_ecg()
    mv = measure(_batch(x))
    uv = measure(_batch(x, units="uV"))
    eight = measure(_batch(x).select(INDEPENDENT_8))
    assert list(mv.columns) == columns()
    for other in (uv, eight):
        np.testing.assert_allclose(other.iloc[0, :-1].astype(float), mv.iloc[0, :-1].astype(float),
                                   rtol=1e-3, atol=2.0)
    x250, _ = synthetic_ecg(fs=250.0)
    r250 = measure(_batch(x250, fs=250.0)).iloc[0]
    assert r250["qt_interval"] == pytest.approx(mv.iloc[0]["qt_interval"], abs=12)


def test_bad_input_gives_nan_rows_with_reasons():
    x, _ = synthetic_ecg()
    good = _batch(x).signals[0]
    flat = np.zeros_like(good)
    nan_lead = good.copy()
    nan_lead[7] = np.nan
    clipped = np.clip(good, -0.2, 0.5)
    uv_as_mv = good * 1000
    batch = ECGBatch(np.stack([good, flat, nan_lead, clipped, uv_as_mv]), 500.0, STANDARD_12, "mV")
    df = measure(batch)
    assert df["quality"].tolist()[0] == "ok"
    assert df["quality"][1] == "flat" and df.iloc[1, :-1].isna().all()
    assert "nan_lead" in df["quality"][2] and np.isfinite(df["qrs_duration"][2])
    assert "clipped" in df["quality"][3]
    assert "implausible_amplitude" in df["quality"][4] and np.isnan(df["heart_rate"][4])
    short = measure(ECGBatch(good[None, :, :600], 500.0, STANDARD_12, "mV"))
    assert "too_short" in short["quality"][0] and np.isnan(short["heart_rate"][0])


def test_unusable_arguments_raise():
    x, _ = synthetic_ecg()
    with pytest.raises(SynthECGError, match="fs"):
        measure(ECGBatch(x.astype(np.float32)[None], 200.0, STANDARD_12, "mV"))
    with pytest.raises(SynthECGError, match="missing"):
        measure(_batch(x).select(["I", "II", "V1"]))
    with pytest.raises(SynthECGError, match="ECGBatch"):
        measure(x)


def test_ludb_records_measure_ok():
    batch = wfdb_batch(shared("ludb", "data"), ["1", "2", "4", "5"])  # µV, lower-case lead names
    df = measure(batch)
    assert (df["quality"] == "ok").all()
    assert df["heart_rate"].between(40, 120).all()
    assert df["qrs_duration"].between(60, 140).all() and df["qt_interval"].between(300, 500).all()
    assert df["qrs_axis"].between(-180, 180).all()


def test_pacemaker_spikes_are_removed_and_reported():
    x, truth = synthetic_ecg()
    clean = measure(_batch(x)).iloc[0]
    paced = x.copy()
    for q_on in truth["qrs_on"]:
        paced[:, q_on - 3] += 4.0  # a 2 ms, 4 mV spike before every QRS
    row = measure(_batch(paced)).iloc[0]
    assert "pacemaker_spikes" in row["quality"]
    for name in ("heart_rate", "pr_interval", "qrs_duration", "qt_interval"):
        assert row[name] == pytest.approx(clean[name], abs=6), name
    assert "pacemaker_spikes" not in clean["quality"]


def test_median_beats_align_on_r_and_report_rr():
    from synthecg.measure import median_beats
    from synthecg.io import read
    batch = read("../shared/data/ludb")[:3]
    beats, rr, n = median_beats(batch)
    assert beats.shape == (3, batch.n_leads, 350) and beats.dtype == np.float32
    assert (n >= 5).all() and np.all((rr > 300) & (rr < 2000))
    fid = 125
    # the QRS is the largest deflection of lead II's median beat and sits at the fiducial
    ii = batch.leads.index("II")
    peak = np.argmax(np.abs(beats[:, ii]), axis=1)
    assert np.all(np.abs(peak - fid) <= 30)
    flat = batch[:1]
    flat.signals[:] = 0
    b, r, c = median_beats(flat)
    assert np.isnan(b).all() and c[0] == 0 and np.isnan(r[0])


def test_rows_do_not_depend_on_the_other_ecgs_of_the_batch():
    # 11 ECGs span two chunks; every row equals the ECG measured alone, threads or not
    xs = [synthetic_ecg(rr=0.6 + 0.05 * i, noise_mv=0.01, seed=i)[0] for i in range(10)]
    batch = ECGBatch(np.concatenate([_batch(x).signals for x in xs] + [np.zeros_like(_batch(xs[0]).signals)]),
                     500.0, STANDARD_12, "mV")
    together = measure(batch)
    assert together["quality"].iloc[-1] == "flat" and (together["quality"].iloc[:-1] == "ok").all()
    for threads in (1, 2):
        assert measure(batch, threads=threads).equals(together)
    for i in (0, 7, 10):
        alone = measure(batch[i:i + 1])
        assert alone.reset_index(drop=True).equals(together.iloc[i:i + 1].reset_index(drop=True)), i
