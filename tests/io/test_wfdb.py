import numpy as np
import pytest
import wfdb as wfdb_lib

import synthecg.io as ecg_io
from synthecg import SynthECGError
from _realdata import shared, wfdb_batch


def test_code15_reads_exact_microvolts_with_meta():
    folder = shared("code15-subset")
    name = (folder / "RECORDS").read_text().split()[0]
    batch = ecg_io.read(folder / f"{name}.hea")
    expected = wfdb_batch(folder, [name])
    assert batch.units == "uV" and batch.fs == 400
    np.testing.assert_array_equal(batch.signals, expected.signals)
    assert batch.leads[3] == "aVR"  # 'AVR' normalised
    assert isinstance(batch.meta[0]["age"], int) and batch.meta[0]["sex"] in ("M", "F")
    assert batch.meta[0]["source"].endswith(f"{name}.hea")


def test_ludb_per_lead_gains_read_as_millivolts():
    folder = shared("ludb")
    batch = ecg_io.read(folder / "data" / "1.hea")
    record = wfdb_lib.rdrecord(str(folder / "data" / "1"))
    assert batch.units == "mV" and batch.leads[0] == "I"
    np.testing.assert_allclose(batch.signals[0], record.p_signal.T, atol=1e-6)
    assert batch.meta[0]["age"] == 51 and batch.meta[0]["sex"] == "F"


@pytest.mark.parametrize("folder", ["code15-subset", "ludb", "cinc2021-samples"])
def test_wfdb_folder_round_trip_on_real_records(tmp_path, folder):
    real = ecg_io.read(shared(folder), length=2900 if folder == "code15-subset" else None)[:6]
    out = ecg_io.write(real, tmp_path / "w", format="wfdb")
    assert (out / "RECORDS").read_text().split() == ["00000", "00001", "00002", "00003", "00004", "00005"]
    back = ecg_io.read(out)
    assert (back.fs, back.leads, back.units, back.meta) == (real.fs, real.leads, real.units, real.meta)
    if real.units == "uV":
        np.testing.assert_array_equal(back.signals, real.signals)
    else:  # written at 1000 adu/mV: within half a microvolt
        np.testing.assert_allclose(back.signals, real.signals, atol=0.0005 + 1e-6)
    # The files are plain WFDB that the wfdb library reads, with gain 1000 adu/mV, format 16.
    record = wfdb_lib.rdrecord(str(out / "00000"))
    assert record.fmt == ["16"] * 12 and record.adc_gain == [1000.0] * 12
    np.testing.assert_allclose(record.p_signal.T, real.to_units("mV").signals[0], atol=0.0006)


def test_generated_meta_round_trips(tmp_path):
    import synthecg

    batch = synthecg.generate(2, seed=1)
    back = ecg_io.read(ecg_io.write(batch, tmp_path / "g", format="wfdb"))
    np.testing.assert_array_equal(back.signals, batch.signals)
    assert back.leads == batch.leads
    # Readers add the file read as 'source' when the meta had none; everything else is kept.
    assert [{k: v for k, v in m.items() if k != "source"} for m in back.meta] == batch.meta
    assert back.meta[1]["source"].endswith("00001.hea")


def test_single_record_file_and_overwrite(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021[0], tmp_path / "rec.hea")
    np.testing.assert_array_equal(ecg_io.read(path).signals, cinc2021[0].signals)
    np.testing.assert_array_equal(ecg_io.read(tmp_path / "rec.dat").signals, cinc2021[0].signals)
    with pytest.raises(SynthECGError, match="already exists"):
        ecg_io.write(cinc2021[1], path)
    with pytest.raises(SynthECGError, match="holds one ECG"):
        ecg_io.write(cinc2021[:2], tmp_path / "two.hea")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.dat", "rec.hea"]


def test_mismatched_header_and_signal_lengths(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021[0], tmp_path / "rec.hea")
    dat = tmp_path / "rec.dat"
    dat.write_bytes(dat.read_bytes()[:5000])
    with pytest.raises(SynthECGError, match="rec.hea"):
        ecg_io.read(path)


def test_unknown_lead_names_are_kept_with_a_warning(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021[0], tmp_path / "rec.hea")
    path.write_text(path.read_text().replace(" V6\n", " chest7\n"))
    with pytest.warns(UserWarning, match="chest7"):
        batch = ecg_io.read(path)
    assert batch.leads[-1] == "chest7"
