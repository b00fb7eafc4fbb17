import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg import SynthECGError


def test_write_refuses_to_overwrite_unless_asked(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021[:1], tmp_path / "x.npz")
    before = path.read_bytes()
    with pytest.raises(SynthECGError, match="already exists"):
        ecg_io.write(cinc2021[1:2], path)
    assert path.read_bytes() == before
    ecg_io.write(cinc2021[1:2], path, overwrite=True)
    np.testing.assert_array_equal(ecg_io.read(path).signals, cinc2021[1:2].signals)


def test_format_can_be_named(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021[:2], tmp_path / "x.h5", format="hdf5")
    assert len(ecg_io.read(path)) == 2
    with pytest.raises(SynthECGError, match="format"):
        ecg_io.write(cinc2021[:2], tmp_path / "y.h5", format="xls")


@pytest.mark.parametrize("name, match", [("x.xyz", "unknown file type"), ("x", "no suffix")])
def test_unknown_suffixes(tmp_path, cinc2021, name, match):
    with pytest.raises(SynthECGError, match=match):
        ecg_io.write(cinc2021[:1], tmp_path / name)


def test_missing_paths_and_folders(tmp_path, cinc2021):
    with pytest.raises(SynthECGError, match="no such file"):
        ecg_io.read(tmp_path / "nope.npz")
    with pytest.raises(SynthECGError, match="does not exist"):
        ecg_io.write(cinc2021[:1], tmp_path / "nowhere" / "x.npz")
    with pytest.raises(SynthECGError, match="no manifest.json"):
        ecg_io.read(tmp_path)


def test_read_selects_leads(tmp_path, cinc2021):
    path = ecg_io.write(cinc2021[:2], tmp_path / "x.npz")
    assert ecg_io.read(path, leads=["v1", "I"]).leads == ("V1", "I")


def test_io_does_not_import_torch_or_matplotlib():
    import subprocess
    import sys

    code = ("import sys, synthecg, synthecg.io; "
            "print('torch' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
