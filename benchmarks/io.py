"""Benchmark: read and write throughput (ECG/s) and bytes per ECG for every SynthECG format.

The ECGs are ``synthecg.generate(N, seed=0)`` (12 leads, 5000 samples, int16 µV; the ASC
format holds the 8 independent leads, so it gets those). Each format is written with
``synthecg.io.write`` into a fresh temporary folder (atomic, fsynced files) and read back with
``synthecg.io.read``; each timing is the best of ``--repeats`` runs, reads after the write so the
files are in the page cache (what a training loop sees after the first epoch). Read-back is
checked against the batch (exact for every format here, all µV integers). The peer tool in
the same run: ``np.loadtxt`` on the same ASC files, which is how deepfake-ecg users read them.

HDF5 is measured in its three layouts (``compression=``: ``gzip``, the default of
``synthecg.io.write``; ``lzf``; ``none``, contiguous and uncompressed, the default of
generation shards, i.e. data meant for training), each read whole with ``synthecg.io.read``
and also as single ECGs at random positions (what a shuffling training DataLoader does).

``python benchmarks/io.py`` runs 2,000 ECGs; ``--quick`` runs 200 (under a minute). The last line
is ``RESULT hdf5_read_ecg_per_s=...``: the uncompressed (training) layout's whole-file read rate
(target >= 20,000).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

# (label, format, file name, HDF5 compression)
FORMATS = [("npy", "npy", "ecgs.npy", None), ("npz", "npz", "ecgs.npz", None),
           ("hdf5 gzip", "hdf5", "gzip.h5", "gzip"), ("hdf5 lzf", "hdf5", "lzf.h5", "lzf"),
           ("hdf5 none", "hdf5", "none.h5", "none"), ("wfdb", "wfdb", "wfdb", None),
           ("edf", "edf", "edf", None), ("csv", "csv", "csv", None), ("asc", "asc", "asc", None)]
RANDOM_READS = 200


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _best(fn, repeats: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 ECGs (under a minute)")
    parser.add_argument("-n", type=int, default=None, help="number of ECGs (default 2000)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    n = args.n or (200 if args.quick else 2000)

    import synthecg
    import synthecg.io as ecg_io
    from synthecg.leads import independent_8

    batch = synthecg.generate(n, seed=0)
    eight = independent_8(batch)
    rows, root = [], Path(tempfile.mkdtemp(prefix="synthecg-io-bench-"))
    random_rows: dict[str, float] = {}
    try:
        for label, fmt, name, compression in FORMATS:
            data = eight if fmt == "asc" else batch
            path = root / name

            def write():
                if path.exists():
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
                ecg_io.write(data, path, format=fmt, compression=compression)

            t_write, _ = _best(write, args.repeats)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # csv/npy: "no sampling rate" is expected here
                t_read, back = _best(lambda: ecg_io.read(path, fs=500), args.repeats)
            assert np.array_equal(back.signals, data.signals), label
            rows.append((f"synthecg {label}", n / t_write, n / t_read, _size(path) / n))
            if fmt == "hdf5":
                random_rows[label] = _random_row_rate(path, n)
        asc_files = sorted((root / "asc").glob("*.asc"), key=lambda p: int(p.stem))
        t_loadtxt, _ = _best(lambda: [np.loadtxt(p, dtype=np.int32) for p in asc_files], 1)
        rows.append(("np.loadtxt asc (peer)", float("nan"), n / t_loadtxt, _size(root / "asc") / n))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"{n} ECGs (12 leads x 5000 samples int16 µV; ASC: 8 leads), best of {args.repeats}")
    print(f"{'format':<24}{'write ECG/s':>14}{'read ECG/s':>14}{'bytes/ECG':>12}")
    for label, w, r, size in rows:
        w_text = "-" if np.isnan(w) else f"{w:,.0f}"
        print(f"{label:<24}{w_text:>14}{r:>14,.0f}{size:>12,.0f}")
    asc_ours = next(r for label, _, r, _ in rows if label == "synthecg asc")
    asc_peer = rows[-1][2]
    print(f"ASC read speed-up over np.loadtxt: {asc_ours / asc_peer:.1f}x")
    for label, rate in random_rows.items():
        print(f"{label}: single ECGs at random positions (shuffled training reads): {rate:,.0f} ECG/s")
    read = {label: r for label, _, r, _ in rows}
    print(f"HDF5 read, uncompressed vs gzip: {read['synthecg hdf5 none'] / read['synthecg hdf5 gzip']:.1f}x "
          f"whole file, {random_rows['hdf5 none'] / random_rows['hdf5 gzip']:.0f}x random single ECGs")
    print(f"RESULT hdf5_read_ecg_per_s={read['synthecg hdf5 none']:.0f}")


def _random_row_rate(path: Path, n: int) -> float:
    """ECG/s reading RANDOM_READS single ECGs at random positions through the training reader."""
    from synthecg.io.hdf5 import HDF5Reader

    rows = np.random.default_rng(0).integers(0, n, RANDOM_READS)
    reader = HDF5Reader(path)
    try:
        start = time.perf_counter()
        for row in rows:
            reader.signals(int(row), int(row) + 1)
        return RANDOM_READS / (time.perf_counter() - start)
    finally:
        reader.close()


if __name__ == "__main__":
    main()
