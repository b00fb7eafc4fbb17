"""Damaged input: every case reads a valid batch or raises SynthECGError naming the file.

Real records (CODE-15 WFDB, CinC 2020/2021 .hea + .mat, LUDB) and files SynthECG writes from
them (ASC, CSV, EDF, NPY, NPZ, HDF5) are truncated at random points, have random bytes flipped,
headers swapped between records, are emptied, get NaN/inf, wrong lead counts or header/signal
length mismatches; plus folders without ECGs. Seeded, so every run tries the same cases.
"""

import time
import warnings

import numpy as np
import pytest

import synthecg.io as ecg_io
from synthecg import ECGBatch, SynthECGError
from _realdata import shared

N_CASES = 3000


def _sources(tmp_path):
    """name -> {file name: bytes}: the intact files each case starts from (first file is read)."""
    code15, c21, c20, ludb = (shared("code15-subset"), shared("cinc2021-samples"),
                              shared("cinc2020-samples"), shared("ludb", "data"))
    sources = {
        "code15": {"r.hea": (code15 / "1111.hea").read_bytes().replace(b"1111", b"r"),
                   "r.dat": (code15 / "1111.dat").read_bytes()},
        "ludb": {"r.hea": (ludb / "1.hea").read_bytes().replace(b"1.dat", b"r.dat").replace(b"1 12", b"r 12", 1),
                 "r.dat": (ludb / "1.dat").read_bytes()},
    }
    for tag, folder, name in (("cinc21", c21, "HR06001"), ("cinc20", c20, "E00001"),
                              ("cinc20hr", c20, "HR00002")):
        hea = (folder / f"{name}.hea").read_bytes().replace(name.encode(), b"r")
        sources[tag] = {"r.hea": hea, "r.mat": (folder / f"{name}.mat").read_bytes()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real = ecg_io.read(shared("code15-subset", "1111.hea"))
    made = tmp_path / "made"
    made.mkdir()
    for suffix, batch in ((".csv", real), (".edf", real), (".npz", real), (".h5", real),
                          (".npy", real), (".mv.csv", real.to_units("mV")),
                          (".mv.npy", real.to_units("mV"))):
        path = ecg_io.write(batch, made / f"r{suffix}")
        sources[suffix] = {path.name: path.read_bytes()}
    eight = ecg_io.read(shared("code15-subset", "1111.hea"), fs=500, length=5000,
                        leads=["I", "II", "V1", "V2", "V3", "V4", "V5", "V6"])
    sources[".asc"] = {"r.asc": ecg_io.write(eight, made / "r.asc").read_bytes()}
    return sources


def _header_lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _mutate(files: dict, names: list, rng, others: list) -> str:
    """Damage ``files`` in place; returns what was done."""
    target = names[int(rng.integers(len(names)))]
    data = bytearray(files[target])
    kind = int(rng.integers(9))
    if kind == 0 and data:  # truncate at a random point
        files[target] = bytes(data[:int(rng.integers(len(data)))])
        return f"truncate {target}"
    if kind == 1 and data:  # flip random bytes
        for _ in range(int(rng.integers(1, 8))):
            data[int(rng.integers(len(data)))] ^= int(rng.integers(1, 256))
        files[target] = bytes(data)
        return f"flip {target}"
    if kind == 2:
        files[target] = b""
        return f"empty {target}"
    if kind == 3 and "r.hea" in files:  # header from another record (other gains, lengths, files)
        other = others[int(rng.integers(len(others)))]
        if "r.hea" in other:
            files["r.hea"] = other["r.hea"]
            return "swap header"
    if kind == 4 and "r.hea" in files:  # wrong lead count / length in the record line
        lines = _header_lines(files["r.hea"])
        fields = lines[0].split()
        field = 1 if rng.random() < 0.5 else 3
        fields[field] = str(max(0, int(fields[field]) + int(rng.integers(-3, 4)))).encode()
        lines[0] = b" ".join(fields)
        files["r.hea"] = b"\n".join(lines)
        return "header counts"
    if kind == 5 and "r.hea" in files:  # drop or duplicate a signal line
        lines = _header_lines(files["r.hea"])
        k = int(rng.integers(1, 13))
        lines = lines[:k] + lines[k + 1:] if rng.random() < 0.5 else lines[:k] + [lines[k]] + lines[k:]
        files["r.hea"] = b"\n".join(lines)
        return "signal lines"
    if kind == 6 and target.endswith(".csv"):  # NaN / inf in a float format
        text = files[target].split(b"\n")
        row = int(rng.integers(1, len(text) - 1))
        text[row] = text[row].replace(b",", b",nan,", 1) if rng.random() < 0.3 else \
            b",".join([b"inf"] + text[row].split(b",")[1:])
        files[target] = b"\n".join(text)
        return "nan csv"
    if kind == 7 and target.endswith(".npy"):
        arr = np.frombuffer(data[128:], dtype=np.uint8).copy()
        if "mv" in target and len(arr) >= 4:
            i = int(rng.integers(len(arr) // 4)) * 4
            arr[i:i + 4] = np.frombuffer(np.float32(np.nan).tobytes(), np.uint8)
            files[target] = bytes(data[:128]) + arr.tobytes()
            return "nan npy"
    if kind == 8 and data:  # append junk
        files[target] = bytes(data) + rng.bytes(int(rng.integers(1, 64)))
        return f"append {target}"
    files[target] = bytes(data[: len(data) // 2])
    return f"halve {target}"


def _check(batch: ECGBatch) -> None:
    assert isinstance(batch, ECGBatch) and len(batch) >= 1 and batch.n_samples >= 1
    if batch.units == "mV":
        assert np.all(np.isfinite(batch.signals))


def test_fuzzed_files_read_or_raise_synthecg_error(tmp_path):
    sources = _sources(tmp_path)
    others = list(sources.values())
    rng = np.random.default_rng(2026)
    keys = sorted(sources)
    start, outcomes, failures = time.perf_counter(), {"read": 0, "error": 0}, []
    for case in range(N_CASES):
        files = dict(sources[keys[case % len(keys)]])
        names = sorted(files)
        what = _mutate(files, names, rng, others)
        folder = tmp_path / f"case{case}"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        target = folder / names[0] if case % 5 else folder  # a file, or the whole folder
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                batch = ecg_io.read(target, fs=500 if target.suffix in (".csv", ".asc", ".npy") else None)
        except SynthECGError as exc:
            if f"case{case}" not in str(exc):
                failures.append(f"case {case} ({what}): message names no file: {exc}")
            outcomes["error"] += 1
            continue
        except Exception as exc:  # pragma: no cover - the failure this test exists to catch
            failures.append(f"case {case} ({what}): {type(exc).__name__}: {exc}")
            continue
        _check(batch)
        if what.split()[0] in ("truncate", "flip") and what.split()[1] in ("r.dat", "r.mat"):
            failures.append(f"case {case} ({what}): damaged signal file read without error")
        outcomes["read"] += 1
    assert not failures, "\n".join(failures)
    elapsed = time.perf_counter() - start
    assert outcomes["error"] > N_CASES // 4 and outcomes["read"] > 50, outcomes
    assert elapsed < 60, f"{N_CASES} cases took {elapsed:.0f} s"
    print(f"fuzz: {N_CASES} cases in {elapsed:.1f} s: {outcomes}")


def test_folders_without_ecgs(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "README.md").write_text("# nothing\n")
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "RECORDS").write_text("missing\n")
    for name in ("empty", "text", "records"):
        with pytest.raises(SynthECGError, match=name):
            ecg_io.read(tmp_path / name)
