"""`synthecg measure PATH --out CSV` over synthecg.io inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synthetic_beats import synthetic_ecg
from click.testing import CliRunner

import synthecg.io
from synthecg import ECGBatch, SynthECGError
from synthecg.cli.app import cli
from synthecg.leads import STANDARD_12
from synthecg.measure_files import measure_to_csv


def _file(tmp_path, n=3):
    x, _ = synthetic_ecg()
    signals = np.rint(np.stack([x] * n) * 1000).astype(np.int16)
    path = tmp_path / "ecgs.npz"
    synthecg.io.write(ECGBatch(signals, 500.0, STANDARD_12, "uV"), path)
    return path


def test_measure_to_csv_streams_batches_and_writes_one_row_per_ecg(tmp_path):
    path = _file(tmp_path, n=5)
    out = tmp_path / "m.csv"
    assert measure_to_csv(path, out, batch_size=2, progress=False) == 5
    table = pd.read_csv(out)
    assert len(table) == 5 and table.columns[0] == "source"
    assert (table["quality"] == "ok").all() and table["heart_rate"].notna().all()
    with pytest.raises(SynthECGError, match="exists"):
        measure_to_csv(path, out, progress=False)


def test_cli_measure(tmp_path):
    path = _file(tmp_path)
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(cli, ["measure", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "measured 3 ECGs" in result.output and len(pd.read_csv(out)) == 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_measure_to_csv_memory_is_bounded_by_the_batch_not_the_input(tmp_path):
    # the same ECG 32 and 128 times in an HDF5 file: the peak traced memory of measuring must
    # not grow with the input (96 more ECGs are 11.5 MB of int16). Uncompressed, so the reader
    # holds a batch, not a 16-ECG gzip chunk whose alignment with the batches varies by file;
    # a first small run takes the one-time allocations (filter designs, imports) out of the peaks.
    import tracemalloc

    x, _ = synthetic_ecg()
    one = np.rint(x * 1000).astype(np.int16)
    peaks, sizes = {}, {}
    for n in (8, 32, 128):
        path = tmp_path / f"{n}.h5"
        synthecg.io.write(ECGBatch(np.stack([one] * n), 500.0, STANDARD_12, "uV"), path,
                          compression="none")
        sizes[n] = n * one.nbytes
        tracemalloc.start()
        try:
            assert measure_to_csv(path, tmp_path / f"{n}.csv", batch_size=8, progress=False) == n
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peaks[128] - peaks[32] < 0.1 * (sizes[128] - sizes[32]), peaks
    assert peaks[128] < 60e6, peaks  # measured: 37 MB for batches of 8 ECGs
    assert len(pd.read_csv(tmp_path / "128.csv")) == 128
