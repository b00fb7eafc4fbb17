"""Speed of ``synthecg.measure.measure`` against neurokit2, per 8-lead ECG, in one run.

Both measure the same generated ECGs (``synthecg.generate``, 8 independent leads, 500 Hz,
10 s). Ours: ``measure(batch)`` on the 8-lead batch (it derives the limb leads, delineates all
12 and makes the global measurements), timed single-threaded and with its default threads (one
per core). neurokit2: ``ecg_clean`` + ``ecg_peaks`` +
``ecg_delineate(method="dwt")`` on each of the 8 leads (delineation only, no global
measurements), on the first ``--n-neurokit`` of the same ECGs, one process.

    python benchmarks/measure.py [--quick] [-n 1000] [--n-neurokit 30]

Last line: RESULT measure_speedup_vs_neurokit2=<neurokit2 s per ECG / ours s per ECG>.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import synthecg  # noqa: E402
from synthecg.leads import independent_8  # noqa: E402
from synthecg.measure import measure  # noqa: E402


def neurokit_ecg(x_mv: np.ndarray, fs: float) -> None:
    import neurokit2 as nk

    for lead in x_mv:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                clean = nk.ecg_clean(lead, sampling_rate=fs)
                _, info = nk.ecg_peaks(clean, sampling_rate=fs)
                nk.ecg_delineate(clean, info["ECG_R_Peaks"], sampling_rate=fs, method="dwt")
            except Exception:  # noqa: BLE001 - a failing lead still cost its time
                pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 ECGs, neurokit2 on 8")
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--n-neurokit", type=int, default=30)
    args = parser.parse_args(argv)
    n, n_nk = (200, 8) if args.quick else (args.n, args.n_neurokit)
    print(f"cores: {os.cpu_count()}; generating {n} ECGs ...", flush=True)
    batch = independent_8(synthecg.generate(n, seed=11))
    measure(batch[:4])  # warm-up (imports, filter design)

    t0, c0 = time.perf_counter(), time.process_time()
    measure(batch[: max(n // 4, 1)], threads=1)
    single = (time.perf_counter() - t0) / max(n // 4, 1)
    single_cpu = (time.process_time() - c0) / max(n // 4, 1)
    print(f"synthecg.measure, 1 thread: {single * 1000:.2f} ms per 8-lead ECG over {max(n // 4, 1)} ECGs "
          f"({single_cpu * 1000:.2f} ms CPU)")
    t0 = time.perf_counter()
    table = measure(batch)
    ours = (time.perf_counter() - t0) / n
    ok = (table["quality"] == "ok").mean()
    print(f"synthecg.measure, {os.cpu_count()} threads (default): {ours * 1000:.2f} ms per 8-lead ECG "
          f"over {n} ECGs ({ok:.1%} quality ok)")

    x = batch[:n_nk].to_units("mV").signals.astype(np.float64)
    neurokit_ecg(x[0], batch.fs)  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    for ecg in x:
        neurokit_ecg(ecg, batch.fs)
    nk_s = (time.perf_counter() - t0) / n_nk
    nk_cpu = (time.process_time() - c0) / n_nk
    print(f"neurokit2 dwt:    {nk_s * 1000:.1f} ms per 8-lead ECG over {n_nk} ECGs "
          f"({nk_s * 1000 / 8:.1f} ms per lead)")
    print(f"speedup, 1 thread vs neurokit2 (1 process): {nk_s / single:.1f}x wall, "
          f"{nk_cpu / single_cpu:.1f}x CPU time (steadier when other jobs share the cores)")
    print(f"RESULT measure_speedup_vs_neurokit2={nk_s / ours:.1f}")


if __name__ == "__main__":
    main()
