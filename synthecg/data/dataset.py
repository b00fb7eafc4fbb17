"""Training data: a torch Dataset of fixed 10-s windows over any data path, a deterministic
record-level holdout, and the record lists a run directory keeps (``records.json``).

``open_training_data(DataConfig(path=...))`` indexes the data once, in one streaming pass
(bounded memory): every record is read, labelled, filtered and turned into a window under the
policy of :mod:`synthecg.data.windows` (8 independent leads, resampled to 500 Hz, centre crop /
zero pad to 5000 samples, µV / 6000 clipped to [-1, 1]); records that cannot be used are listed
in ``skipped`` with the reason, and nothing fails later in a DataLoader worker.

- **Small sets** (windows up to ``IN_MEMORY_MAX_BYTES`` as float32, about 13,000 ECGs) keep the
  windows from that pass as one float32 tensor: an item is a view, no file is read again.
- **Large sets** stream: the Datasets hold only an index of (file, row); each item reads its
  row (HDF5 / memory-mapped NPY shards: one row; record files: the record) and prepares it
  again, with files opened lazily in each DataLoader worker.

The holdout is chosen by a keyed hash of (seed, record id) -- or of the patient id where one
is known (PTB-XL ``patient_id``, a ``Patient ID:`` header comment), so one patient's ECGs all
fall on the same side -- taking records in hash order until ``holdout_fraction`` of the usable
records is reached. The split depends only on the seed and the ids: adding records to a folder
moves few records between sides, and it is the same on every machine and process count.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from .._files import read_json_document, write_bytes
from .._mu_law import mu_law_encode
from .._progress import progress_bar
from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import INDEPENDENT_8, normalize_lead_name
from .labels import LabelFilter
from .sources import FileReader, SourceFile, list_files, record_id, split_id
from .windows import cut, prepare, window_dtype

RECORDS_NAME = "records.json"
RECORDS_FORMAT = "synthecg.records"
IN_MEMORY_MAX_BYTES = 2 << 30
SCAN_CHUNK = 256  # rows of a multi-ECG file prepared at once during the indexing pass


@dataclass
class DataConfig:
    """What to train on and how to cut it (see the module docstrings for every rule).

    path: anything :func:`synthecg.io.read` accepts. fs (Hz) and length (samples at fs): the
    window. leads: selected by name, none derived. scale_uv: an item is µV / scale_uv, clipped
    to [-1, 1], then μ-law companded when mu_law > 0 (:mod:`synthecg._mu_law`; 0 = linear, the
    paper's). highpass_hz: baseline-wander removal (zero-phase high-pass at this cutoff,
    e.g. 0.5) before the window is cut; None or 0 = the ECGs as recorded (the paper's setting).
    filter: None, ``"normal"`` or comma-separated SNOMED / PTB-XL SCP codes
    (:mod:`synthecg.data.labels`). ptbxl_database: PTB-XL's ``ptbxl_database.csv`` for
    ``scp_codes`` labels and patient ids. holdout_fraction, seed: the holdout split.
    """

    path: str
    fs: float = 500.0
    length: int = 5000
    leads: tuple[str, ...] = INDEPENDENT_8
    scale_uv: float = 6000.0
    mu_law: float = 0.0
    highpass_hz: float | None = None
    filter: str | None = None
    ptbxl_database: str | None = None
    holdout_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        self.path = str(self.path)
        self.leads = tuple(normalize_lead_name(lead) for lead in self.leads)
        checks = [
            (np.isfinite(self.fs) and self.fs > 0, "fs", "a positive rate in Hz"),
            (int(self.length) == self.length and self.length > 0, "length", "a positive number of samples"),
            (len(self.leads) > 0 and len(set(self.leads)) == len(self.leads), "leads", "distinct lead names"),
            (np.isfinite(self.scale_uv) and self.scale_uv > 0, "scale_uv", "a positive number of µV"),
            (np.isfinite(self.mu_law) and self.mu_law >= 0, "mu_law", "0 (linear) or a positive μ"),
            (not self.highpass_hz or (np.isfinite(self.highpass_hz) and 0 < self.highpass_hz < self.fs / 2),
             "highpass_hz", "0 / None (off) or a cutoff in Hz between 0 and fs / 2"),
            (0.0 <= self.holdout_fraction < 1.0, "holdout_fraction", "in [0, 1)"),
            (isinstance(self.seed, (int, np.integer)) and self.seed >= 0, "seed", "a non-negative integer"),
        ]
        for ok, name, what in checks:
            if not ok:
                raise SynthECGError(f"{name}: must be {what}, got {getattr(self, name)!r}")
        self.fs, self.length, self.scale_uv = float(self.fs), int(self.length), float(self.scale_uv)
        self.mu_law = float(self.mu_law)
        if self.highpass_hz is not None:  # 0 = off too: TOML has no null to override a preset with
            self.highpass_hz = float(self.highpass_hz) or None
        if self.ptbxl_database is not None:
            self.ptbxl_database = str(self.ptbxl_database)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["leads"] = list(self.leads)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "DataConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: (tuple(v) if k == "leads" else v) for k, v in data.items() if k in known})


class WindowDataset(torch.utils.data.Dataset):
    """Windows held in memory: item i -> float32 tensor (n_leads, length), a view."""

    def __init__(self, windows: torch.Tensor, ids: list[str]):
        self.windows, self.ids = windows, ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.windows[i]


class StreamingWindowDataset(torch.utils.data.Dataset):
    """Windows read on demand: item i reads row ``rows[i]`` of ``files[file_index[i]]`` and
    prepares it (float32 tensor (n_leads, length)). Files open lazily in each process."""

    def __init__(self, files: list[SourceFile], file_index: np.ndarray, rows: np.ndarray,
                 ids: list[str], config: DataConfig):
        self.files, self.file_index, self.rows, self.ids = files, file_index, rows, ids
        self.config = config
        self.reader = FileReader(quiet=True)
        self._lead_rows: dict[int, tuple[list[int], float, str]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def _windows(self, fi: int, rows: list[int]):
        """Windows of some rows of one file. HDF5 / NPY rows go straight from the file array
        to :func:`windows.cut` (no ECGBatch per item); record files go through ``prepare``."""
        src, c = self.files[fi], self.config
        if src.kind in ("hdf5", "npy"):
            layout = self._lead_rows.get(fi)
            if layout is None:
                fs, leads, units = self.reader.layout(src)
                if set(c.leads) <= set(leads):
                    layout = self._lead_rows[fi] = ([leads.index(x) for x in c.leads], fs, units)
            if layout is not None:
                lead_rows, fs, units = layout
                x = np.concatenate([self.reader.signals(src, r, r + 1) for r in rows])
                return cut(x[:, lead_rows], fs, units, c)
        batch = ECGBatch.concat([self.reader.read(src, r, r + 1, meta=False) for r in rows])
        return prepare(batch, c)

    def __getitems__(self, indices: list[int]) -> list[torch.Tensor]:
        """Items ``indices`` at once (a DataLoader batch: torch calls this when it exists):
        rows of one file are cut and scaled together."""
        out: list[torch.Tensor | None] = [None] * len(indices)
        by_file: dict[int, list[tuple[int, int]]] = {}
        for position, i in enumerate(indices):
            by_file.setdefault(int(self.file_index[i]), []).append((position, int(self.rows[i])))
        for fi, items in by_file.items():
            windows = self._windows(fi, [row for _, row in items])
            if len(windows.rows) != len(items):
                k, reason = windows.skipped[0] if windows.skipped else (0, "rows missing")
                raise SynthECGError(f"{self.files[fi].path}: row {items[k][1]} became unusable "
                                    f"after indexing ({reason}); the data changed under the run")
            # numpy, single-threaded: torch's intra-op threads cost more than they save on
            # one small batch. The same function as for in-memory windows: the same bits.
            scaled = torch.from_numpy(to_training_scale(windows.signals, self.config))
            for k, (position, _) in enumerate(items):
                out[position] = scaled[k]
        return out

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.__getitems__([i])[0]


@dataclass
class TrainingData:
    """The result of :func:`open_training_data`.

    ``train`` / ``holdout``: Datasets whose item i is a float32 tensor (n_leads, length) in
    [-1, 1]; ``train_ids`` / ``holdout_ids``: their record ids in item order; ``skipped``:
    (record id, reason) for every record not used; ``stats``: counts (records seen, clipped
    samples and records, padded, resampled, skipped by reason); ``streaming``: whether items
    are read from disk on demand.
    """

    config: DataConfig
    source: Path
    train: torch.utils.data.Dataset
    holdout: torch.utils.data.Dataset
    train_ids: list[str]
    holdout_ids: list[str]
    skipped: list[tuple[str, str]]
    stats: dict = field(default_factory=dict)
    streaming: bool = False

    def write_record_lists(self, run_dir) -> Path:
        """Atomically write ``run_dir/records.json`` (run_dir is created) and return its path."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        document = {"format": RECORDS_FORMAT, "version": 1, "source": str(self.source),
                    "config": self.config.to_dict(), "train": list(self.train_ids),
                    "holdout": list(self.holdout_ids),
                    "skipped": [[rid, reason] for rid, reason in self.skipped],
                    "stats": self.stats}
        path = run_dir / RECORDS_NAME
        write_bytes(path, (json.dumps(document, indent=1) + "\n").encode(), overwrite=True)
        return path

    def summary(self) -> str:
        """One line: how many records train, hold out, were skipped (by reason) or clipped."""
        s = self.stats
        reasons = ", ".join(f"{n} {r}" for r, n in s.get("skipped_by_reason", {}).items())
        return (f"{self.source}: {len(self.train_ids)} train, {len(self.holdout_ids)} holdout, "
                f"{len(self.skipped)} skipped" + (f" ({reasons})" if reasons else "")
                + f"; {s.get('resampled_records', 0)} resampled, {s.get('padded_records', 0)} padded, "
                f"{s.get('clipped_samples', 0)} samples clipped in {s.get('clipped_records', 0)} records"
                + ("; streaming from disk" if self.streaming else ""))


def _reason_kind(reason: str) -> str:
    """The category of a skip reason, for the counts ("filtered out: not normal (...)" ->
    "filtered out")."""
    return reason.split(":")[0].split(" (")[0]


def _hash_rank(seed: int, key: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}\0{key}".encode(), digest_size=8).digest(), "big")


def holdout_ids(ids: list[str], groups: list[str], fraction: float, seed: int) -> set[str]:
    """The held-out ids: whole groups in keyed-hash order until ``round(fraction * n)`` records
    (at least one when fraction > 0 and n >= 2; never all of them)."""
    n = len(ids)
    target = int(round(fraction * n))
    if fraction > 0 and n >= 2:
        target = max(1, target)
    target = min(target, n - 1) if n else 0
    members: dict[str, list[str]] = {}
    for rid, group in zip(ids, groups):
        members.setdefault(group, []).append(rid)
    chosen: set[str] = set()
    for group in sorted(members, key=lambda g: (_hash_rank(seed, g), g)):
        if len(chosen) >= target:
            break
        if len(chosen) + len(members[group]) > n - 1:
            continue  # a group so large it would leave nothing to train on
        chosen.update(members[group])
    return chosen


def _estimate_count(files: list[SourceFile], reader: FileReader) -> int:
    """ECGs a data path holds, without reading signals (record files count as one)."""
    total = 0
    for src in files:
        if src.kind in ("hdf5", "npy"):
            try:
                total += reader.count(src)
            except SynthECGError:
                total += 1
        else:
            total += 1
    return total


@dataclass
class _Scan:
    ids: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    file_index: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    windows: list[np.ndarray] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seen: int = 0
    clipped_samples: int = 0
    clipped_records: int = 0
    padded: int = 0
    resampled: int = 0
    compressed: list[str] = field(default_factory=list)  # compressed HDF5 files seen


def _scan(files: list[SourceFile], config: DataConfig, label_filter: LabelFilter,
          keep: bool, progress) -> _Scan:
    """One pass over every record: labels, filter, window; keeps windows only when ``keep``."""
    scan = _Scan()
    reader = FileReader()
    try:
        with progress_bar(len(files), "indexing data", unit="file", enabled=progress) as bar:
            for fi, src in enumerate(files):
                _scan_file(scan, fi, src, reader, config, label_filter, keep)
                bar.update(1)
    finally:
        reader.close()  # no HDF5 handle may survive into forked DataLoader workers
    return scan


def _scan_file(scan: _Scan, fi: int, src: SourceFile, reader: FileReader, config: DataConfig,
               label_filter: LabelFilter, keep: bool) -> None:
    try:
        n = reader.count(src)
        if src.kind == "hdf5" and reader.hdf5(src).compressed:
            scan.compressed.append(src.name)
        chunks = reader.iter_chunks(src, SCAN_CHUNK)
        for start, batch in chunks:
            ids = [record_id(src, start + k, n) for k in range(len(batch))]
            scan.seen += len(batch)
            wanted = []
            for k, meta in enumerate(batch.meta):
                reason = label_filter.reason(meta, src.path)
                if reason is None:
                    wanted.append(k)
                else:
                    scan.skipped.append((ids[k], reason))
            if not wanted:
                continue
            part = batch if len(wanted) == len(batch) else batch[wanted]
            windows = prepare(part, config)
            scan.skipped.extend((ids[wanted[k]], reason) for k, reason in windows.skipped)
            for j, k in enumerate(windows.rows):
                position = wanted[k]
                scan.ids.append(ids[position])
                patient = label_filter.patient(part.meta[k], src.path)
                scan.groups.append(f"patient:{patient}" if patient else ids[position])
                scan.file_index.append(fi)
                scan.rows.append(start + position)
            scan.clipped_samples += int(windows.clipped.sum())
            scan.clipped_records += int(np.count_nonzero(windows.clipped))
            scan.padded += len(windows.rows) if windows.padded else 0
            scan.resampled += len(windows.rows) if windows.resampled else 0
            if keep and windows.rows:
                scan.windows.append(windows.signals)
    except SynthECGError as exc:
        # An unreadable file is skipped whole; its rows that were already indexed stay.
        scan.skipped.append((src.name, f"unreadable: {exc}"))


def open_training_data(config: DataConfig, *, in_memory: bool | None = None,
                       progress: bool | None = False) -> TrainingData:
    """Index ``config.path`` and return the train and holdout Datasets (module docstring).

    ``in_memory``: None decides by size (``IN_MEMORY_MAX_BYTES``), True/False forces it.
    Raises SynthECGError (one line) for a missing or empty path, a label filter on data that
    carries no labels, or when no record is usable.
    """
    if not isinstance(config, DataConfig):
        raise SynthECGError(f"config: expected a DataConfig, got {type(config).__name__}")
    root, files = list_files(config.path)
    label_filter = LabelFilter(config.filter, config.ptbxl_database)
    if in_memory is None:
        probe = FileReader()
        try:
            estimate = _estimate_count(files, probe)
        finally:
            probe.close()
        in_memory = estimate * len(config.leads) * config.length * 4 <= IN_MEMORY_MAX_BYTES
    scan = _scan(files, config, label_filter, keep=in_memory, progress=progress)
    if config.filter is not None and label_filter.labelled == 0 and scan.seen:
        raise SynthECGError(
            f"{root}: filter {config.filter!r} needs diagnosis labels, but none of its {scan.seen} "
            "records has any (# Dx: SNOMED codes in WFDB/CinC headers, or PTB-XL scp_codes via "
            "ptbxl_database); LUDB, CODE-15 exports and generated ECGs carry none: drop the filter")
    if not scan.ids:
        kinds = Counter(_reason_kind(r) for _, r in scan.skipped)
        detail = ", ".join(f"{n} {k}" for k, n in kinds.most_common()) or "no records"
        first = f"; e.g. {scan.skipped[0][0]}: {scan.skipped[0][1]}" if scan.skipped else ""
        raise SynthECGError(f"{root}: no usable ECG records ({detail}){first}")

    if scan.compressed and not in_memory:
        warnings.warn(f"{root}: {len(scan.compressed)} HDF5 file(s) are compressed (e.g. "
                      f"{scan.compressed[0]}); a shuffled stream inflates a whole chunk per ECG "
                      "(under 100 ECG/s): rewrite them uncompressed (synthecg.io.write(..., "
                      "compression='none')) for training", stacklevel=2)
    held = holdout_ids(scan.ids, scan.groups, config.holdout_fraction, config.seed)
    is_held = np.array([rid in held for rid in scan.ids], dtype=bool)
    ids = np.array(scan.ids, dtype=object)
    train_ids, hold_ids = list(ids[~is_held]), list(ids[is_held])
    if in_memory:
        everything = torch.from_numpy(to_training_scale(np.concatenate(scan.windows), config))
        train = WindowDataset(everything[torch.from_numpy(~is_held)], train_ids)
        holdout = WindowDataset(everything[torch.from_numpy(is_held)], hold_ids)
    else:
        file_index = np.asarray(scan.file_index, dtype=np.int64)
        rows = np.asarray(scan.rows, dtype=np.int64)
        train = StreamingWindowDataset(files, file_index[~is_held], rows[~is_held], train_ids, config)
        holdout = StreamingWindowDataset(files, file_index[is_held], rows[is_held], hold_ids, config)
    stats = {"records_seen": scan.seen, "used": len(scan.ids), "skipped": len(scan.skipped),
             "skipped_by_reason": dict(Counter(_reason_kind(r) for _, r in scan.skipped).most_common()),
             "clipped_samples": scan.clipped_samples, "clipped_records": scan.clipped_records,
             "padded_records": scan.padded, "resampled_records": scan.resampled}
    return TrainingData(config=config, source=root, train=train, holdout=holdout,
                        train_ids=train_ids, holdout_ids=hold_ids, skipped=scan.skipped,
                        stats=stats, streaming=not in_memory)


def to_training_scale(windows_uv: np.ndarray, config: DataConfig) -> np.ndarray:
    """Integer µV windows -> Dataset items: float32 µV / scale_uv, μ-law companded if set."""
    scaled = windows_uv.astype(np.float32)
    scaled /= np.float32(config.scale_uv)
    return mu_law_encode(scaled, config.mu_law)


def read_records_file(run_dir) -> dict:
    """``RUN_DIR/records.json`` as a dict (checked for format and keys)."""
    path = Path(run_dir) / RECORDS_NAME
    document = read_json_document(path, "SynthECG records file",
                                  f"not found; is {run_dir} a training run directory?", RECORDS_FORMAT)
    if not {"source", "config", "train", "holdout"} <= set(document):
        raise SynthECGError(f"{path}: not a SynthECG records file")
    return document


def read_split(run_dir, split: str) -> ECGBatch:
    """The records of ``RUN_DIR/records.json``'s ``split`` ("train" | "holdout"), read from its
    source and prepared exactly like training windows (fs, length, leads, clipping at
    ±scale_uv) but not scaled: an integer µV ECGBatch whose ECG k equals Dataset item k times
    ``scale_uv``; ``meta["record_id"]`` holds each id (plus the reader's meta)."""
    if split not in ("train", "holdout"):
        raise SynthECGError(f"split: expected 'train' or 'holdout', got {split!r}")
    document = read_records_file(run_dir)
    config = DataConfig.from_dict({**document["config"], "path": document["source"]})
    ids = [str(rid) for rid in document[split]]
    root, files = list_files(document["source"])
    by_name = {src.name: src for src in files}
    wanted: dict[str, list[tuple[int, int | None]]] = {}
    for position, rid in enumerate(ids):
        name, row = split_id(rid)
        if name not in by_name:
            raise SynthECGError(f"{Path(run_dir) / RECORDS_NAME}: record {rid!r} is not in "
                                f"{root} any more")
        wanted.setdefault(name, []).append((position, row))
    signals = np.zeros((len(ids), len(config.leads), config.length),
                       dtype=window_dtype(config.scale_uv))
    meta: list[dict] = [{} for _ in ids]
    reader = FileReader(quiet=True)
    try:
        for name, items in wanted.items():
            src = by_name[name]
            for position, row in items:
                row = row or 0
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    batch = reader.read(src, row, row + 1)
                if len(batch) != 1:
                    raise SynthECGError(f"{src.path}: has no ECG #{row} (record {ids[position]})")
                windows = prepare(batch, config)
                if not windows.rows:
                    raise SynthECGError(f"{src.path}: record {ids[position]} is unusable now "
                                        f"({windows.skipped[0][1]})")
                signals[position] = windows.signals[0]
                meta[position] = {**batch.meta[0], "record_id": ids[position]}
    finally:
        reader.close()
    return ECGBatch(signals=signals, fs=config.fs, leads=config.leads, units="uV", meta=meta)


__all__ = ["DataConfig", "TrainingData", "open_training_data", "read_split", "holdout_ids",
           "WindowDataset", "StreamingWindowDataset", "RECORDS_NAME"]
