"""The evaluation's input stage: harmonising, bad input, overlap refusal, subsampling, filters,
run directories and the measurement cache."""

from __future__ import annotations

import json

import numpy as np
import pytest

import synthecg.io as sio
from synthecg import ECGBatch, SynthECGError
from synthecg.data import crop_or_pad, resample
from synthecg.evaluate.inputs import (MIN_ECGS, cached_measure, check_overlap, content_hash,
                                      label_filter, prepare_inputs)


def _one_line(exc) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_harmonises_rate_leads_length_and_units(real_train, real_holdout, synthetic):
    # holdout: 250 Hz, float mV, 8 leads, 8 s long; train: 12 leads at 500 Hz, 12 s long
    low = resample(real_holdout, 250.0).to_units("mV").select(["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"])
    low = crop_or_pad(low, 2000)
    long_train = crop_or_pad(real_train, 6000)
    inputs = prepare_inputs(long_train, synthetic, low, seed=0)
    for batch in inputs.sets().values():
        assert batch.fs == 500.0 and batch.n_samples == 5000 and batch.units == "uV"
        assert batch.leads == ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")
    notes = " | ".join(inputs.notes)
    assert "holdout: resampled from 250 Hz to 500 Hz" in notes
    assert "15 ECGs shorter than 10 s were zero-padded" in notes
    assert "train: 30 ECGs longer than 10 s were cropped" in notes
    assert "leads III, aVF, aVL, aVR dropped" in notes
    assert inputs.sizes == {"synthetic": {"read": 40, "dropped_nan": 0, "used": 40},
                            "train": {"read": 30, "dropped_nan": 0, "used": 30},
                            "holdout": {"read": 15, "dropped_nan": 0, "used": 15}}
    # the resampled holdout still matches the original (amplitudes within a few µV on average)
    # (8 s at 250 Hz padded by 1 s at each end: original sample k is back at 250 + k)
    back = resample(inputs.holdout, 250.0).to_units("mV").signals[:, :, 450:1450]
    original = low.signals[:, :, 200:1200]
    assert np.median(np.abs(back - original)) < 0.005


def test_nan_ecgs_are_dropped_and_counted(real_train, synthetic):
    train = real_train.to_units("mV")  # a new float array: the fixture is not touched
    train.signals[[3, 7], 1, 100:200] = np.nan
    inputs = prepare_inputs(train, synthetic)
    assert len(inputs.train) == 28 and inputs.sizes["train"]["dropped_nan"] == 2
    assert "train: 2 ECGs with NaN or infinite samples were dropped" in inputs.notes


@pytest.mark.parametrize("case", ["empty_folder", "one_synthetic", "missing", "garbage", "no_common_lead",
                                  "all_nan", "not_ecgs"])
def test_bad_inputs_are_one_line_errors(case, tmp_path, real_train, synthetic):
    real, synth = real_train, synthetic
    if case == "empty_folder":
        (tmp_path / "empty").mkdir()
        synth, expect = tmp_path / "empty", "synthetic: "
    elif case == "one_synthetic":
        synth, expect = synthetic[0], f"synthetic: 1 usable ECG (1 read, 0 with NaN); the evaluation needs at least {MIN_ECGS}"
    elif case == "missing":
        real, expect = tmp_path / "nowhere", f"real_train: {tmp_path / 'nowhere'}: no such file or folder"
    elif case == "garbage":
        (tmp_path / "bad.npy").write_bytes(b"this is not numpy")
        synth, expect = tmp_path / "bad.npy", "synthetic: "
    elif case == "no_common_lead":
        real, expect = real_train.select(["V1"]), "leads: the sets share no lead"
        synth = synthetic.select(["I", "II"])
    elif case == "all_nan":
        real = real_train.to_units("mV")
        real.signals[:] = np.nan
        expect = "real_train: 0 usable ECGs (30 read, 30 with NaN)"
    else:
        real, expect = [1, 2, 3], "real_train: expected a path or an ECGBatch"
    with pytest.raises(SynthECGError) as exc:
        prepare_inputs(real, synth)
    assert _one_line(exc).startswith(expect)


def test_holdout_overlapping_train_is_refused(real_train, real_holdout, synthetic):
    # one training ECG hidden in the holdout, stored as int32 (identical samples, other dtype)
    copy = ECGBatch(real_train.signals[[12]].astype(np.int32), real_train.fs, real_train.leads)
    leaked = ECGBatch.concat([real_holdout[:5].to_units("mV"), copy.to_units("mV"),
                              real_holdout[5:].to_units("mV")])
    with pytest.raises(SynthECGError) as exc:
        prepare_inputs(real_train, synthetic, leaked)
    assert _one_line(exc).startswith("holdout: 1 of 16 ECGs are identical to training ECGs "
                                     "(e.g. holdout #5 = train #12)")
    check_overlap(real_train, real_holdout)  # disjoint sets pass
    # one microvolt of difference is a different record
    near = real_train[[12]]
    near.signals[0, 0, 0] += 1
    check_overlap(real_train, near)


def test_subsampling_is_seeded_and_stated(real_train, real_holdout, synthetic):
    a = prepare_inputs(real_train, synthetic, real_holdout, max_synthetic=20, seed=4)
    b = prepare_inputs(real_train, synthetic, real_holdout, max_synthetic=20, seed=4)
    c = prepare_inputs(real_train, synthetic, real_holdout, max_synthetic=20, seed=5)
    assert len(a.synthetic) == 20 and np.array_equal(a.synthetic.signals, b.synthetic.signals)
    assert not np.array_equal(a.synthetic.signals, c.synthetic.signals)
    assert "synthetic: subsampled 20 of 40 ECGs (seed 4)" in a.notes
    assert a.sizes["synthetic"]["used"] == 20


def test_holdout_fraction_splits_real_without_overlap(real_train, real_holdout, synthetic):
    both = ECGBatch.concat([real_train, real_holdout])
    inputs = prepare_inputs(both, synthetic, holdout_fraction=0.3, seed=1)
    assert (len(inputs.train), len(inputs.holdout)) == (31, 14)
    assert "holdout: 14 of 45 real ECGs held out at random (seed 1)" in inputs.notes
    check_overlap(inputs.train, inputs.holdout)


def test_normal_label_filter(synthetic):
    batch = ECGBatch(np.zeros((4, 1, 10), np.int16), 500, ["II"], meta=[
        {"labels": ["426783006"]}, {"labels": ["164889003"]},
        {"comments": ["Rhythm: Sinus rhythm."]}, {"comments": ["Rhythm: Atrial fibrillation."]}])
    assert label_filter(batch, "normal").tolist() == [True, False, True, False]
    assert label_filter(batch, "164889003, 1").tolist() == [False, True, False, False]


def test_run_directory_stands_for_train_and_holdout(tmp_path, monkeypatch, real_train, real_holdout,
                                                    synthetic):
    import synthecg.data

    run = tmp_path / "run"
    run.mkdir()
    (run / "records.json").write_text(json.dumps({"format": "synthecg.records", "version": 1,
                                                  "train": [], "holdout": []}))
    calls = []

    def read_split(run_dir, split):
        calls.append(split)
        return {"train": real_train, "holdout": real_holdout}[split]

    monkeypatch.setattr(synthecg.data, "read_split", read_split, raising=False)
    inputs = prepare_inputs(run, synthetic)
    assert calls == ["train", "holdout"]
    assert np.array_equal(inputs.train.signals, real_train.signals)
    assert np.array_equal(inputs.holdout.signals, real_holdout.signals)


def test_measurement_cache_hits_and_misses(tmp_path, real_train):
    batch = real_train[:4]
    first, hit = cached_measure(batch, tmp_path, progress=False)
    assert not hit and len(first) == 4 and "heart_rate" in first.columns
    files = list(tmp_path.glob("*.csv"))
    assert [f.name for f in files] == [f"{content_hash(batch)}.csv"]
    again, hit = cached_measure(batch, tmp_path, progress=False)
    assert hit
    np.testing.assert_allclose(again["qt_interval"].to_numpy(float), first["qt_interval"].to_numpy(float))
    assert list(again["quality"]) == list(first["quality"])
    changed = batch[[0, 1, 2, 3]]
    changed.signals[0, 0, 0] += 1  # one µV changes the key
    assert content_hash(changed) != content_hash(batch)
    files[0].write_text("garbage,\n1")  # a damaged entry is measured again
    _, hit = cached_measure(batch, tmp_path, progress=False)
    assert not hit and len(list(tmp_path.iterdir())) == 1  # no temp file left behind
