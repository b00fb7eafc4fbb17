"""The evaluation's input stage: three sets of ECGs made comparable, checked and measured once.

``prepare_inputs(real_train, real_holdout, synthetic)`` takes anything :func:`synthecg.io.read`
accepts (a file, a record folder, a generation folder), an :class:`~synthecg.ECGBatch`, or a
training run directory (a folder holding ``records.json``; its ``train`` / ``holdout`` record
lists are read back by :func:`synthecg.data.read_split`) and returns :class:`EvaluationInputs`:
three ECGBatches with

- one sampling rate: the synthetic set's (polyphase resampling of the others),
- one lead set: the leads every ECG of every set has, in the synthetic set's order,
- one length: ``duration_s`` (10 s) at that rate; longer ECGs keep their centre, shorter ones
  are zero-padded at both ends (:func:`synthecg.data.crop_or_pad`),
- one unit: integer µV (the overlap check hashes these integers),

and ``notes``, one sentence for each thing the stage changed (resampled, leads dropped,
padded, NaN ECGs dropped, subsampled), which the report prints.

Refusals (one-line :class:`~synthecg.SynthECGError` naming the set): a set that cannot be read,
a set with fewer than :data:`MIN_ECGS` usable ECGs (the metrics need 5 neighbours and 5 folds),
no lead shared by all sets, and a holdout sharing an identical ECG with the training set (the
privacy audit would compare training records with themselves).

Measurements (:func:`synthecg.measure.measure`) are cached per content: the key is the sha256 of
the integer µV signals, rate and leads and of the measurement engine's source, the value a CSV
in ``~/.cache/synthecg/measurements`` (``SYNTHECG_CACHE_DIR`` or ``cache_dir=`` moves it;
``cache_dir=False`` turns it off), written atomically.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_path
from .._progress import progress_bar
from .._seeding import rng_for
from ..ecg import ECGBatch
from ..errors import SynthECGError

MIN_ECGS = 10
"""Smallest usable set: k = 5 nearest neighbours and 5-fold cross-validation need more."""
DURATION_S = 10.0
CACHE_ENV = "SYNTHECG_CACHE_DIR"
RECORDS_FILE = "records.json"
NORMAL_SNOMED = "426783006"  # sinus rhythm (normal)
_RATELESS = (".npy", ".csv", ".asc")  # formats that store no rate: io.read assumes 500 Hz


@dataclass
class EvaluationInputs:
    """The three sets after the input stage (same fs, leads, length; integer µV).

    ``holdout`` is None when no holdout was given. ``sources`` names where each set came from;
    ``sizes`` counts ECGs read / dropped / used per set; ``notes`` lists every change made.
    """

    train: ECGBatch
    holdout: ECGBatch | None
    synthetic: ECGBatch
    fs: float
    leads: tuple[str, ...]
    length: int
    sources: dict[str, str]
    sizes: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)
    seed: int = 0

    def sets(self) -> dict[str, ECGBatch]:
        """The sets present, by name ("train", "holdout", "synthetic")."""
        out = {"train": self.train, "holdout": self.holdout, "synthetic": self.synthetic}
        return {name: batch for name, batch in out.items() if batch is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"fs": self.fs, "leads": list(self.leads), "length": self.length,
                "duration_s": self.length / self.fs, "units": "uV", "seed": self.seed,
                "sources": dict(self.sources), "sizes": {k: dict(v) for k, v in self.sizes.items()},
                "notes": list(self.notes)}


# --- reading ----------------------------------------------------------------------------------
def is_run_dir(source) -> bool:
    """True for a training run directory (a folder holding ``records.json``)."""
    return isinstance(source, (str, os.PathLike)) and (Path(source) / RECORDS_FILE).is_file()


def _describe(source) -> str:
    if isinstance(source, ECGBatch):
        return f"ECGBatch of {len(source)} ECGs"
    if isinstance(source, (list, tuple)):
        return " + ".join(_describe(s) for s in source)
    return str(source)


def _read_raw(source, name: str, split: str | None = None) -> list[ECGBatch]:
    """The batches of one set as stored (any rate, leads, length, units)."""
    if isinstance(source, ECGBatch):
        return [source]
    if isinstance(source, (list, tuple)):
        return [b for s in source for b in _read_raw(s, name, split)]
    if not isinstance(source, (str, os.PathLike)):
        raise SynthECGError(f"{name}: expected a path or an ECGBatch, got {type(source).__name__}")
    path = Path(source)
    if not path.exists():
        raise SynthECGError(f"{name}: {path}: no such file or folder")
    if is_run_dir(path):
        try:
            from ..data import read_split
        except ImportError:
            raise SynthECGError(f"{name}: {path} is a training run directory, but this install "
                                "has no synthecg.data.read_split to read its record lists") from None
        return [read_split(path, split or "train")]
    from ..io import iter_records

    try:
        return list(iter_records(path))
    except SynthECGError as exc:
        raise SynthECGError(f"{name}: {exc}") from None
    except (OSError, ValueError) as exc:  # anything a reader did not name: name it here
        raise SynthECGError(f"{name}: {path}: could not be read ({exc})") from None


def label_filter(batch: ECGBatch, codes: str) -> np.ndarray:
    """Boolean (n,): ECGs carrying one of ``codes`` (comma-separated SNOMED-CT codes) in
    ``meta["labels"]``; ``"normal"`` means sinus rhythm: SNOMED 426783006, or a header comment
    ``Rhythm: Sinus rhythm`` (LUDB writes its diagnoses as comments, not codes)."""
    normal = codes.strip().lower() == "normal"
    wanted = {NORMAL_SNOMED} if normal else {c.strip() for c in codes.split(",") if c.strip()}
    keep = np.zeros(len(batch), dtype=bool)
    for k, meta in enumerate(batch.meta):
        labels = {str(x) for x in (meta.get("labels") or [])}
        comments = " ".join(str(c) for c in (meta.get("comments") or [])).lower()
        keep[k] = bool(labels & wanted) or (normal and "rhythm: sinus rhythm" in comments)
    return keep


def _filtered(batches: list[ECGBatch], name: str, codes: str | None, notes: list[str]):
    if not codes:
        return batches
    out, total, kept = [], 0, 0
    for batch in batches:
        keep = label_filter(batch, codes)
        total, kept = total + len(batch), kept + int(keep.sum())
        if keep.any():
            out.append(batch[np.flatnonzero(keep)])
    notes.append(f"{name}: {kept} of {total} ECGs kept by the label filter {codes!r}")
    return out


def _finite(batch: ECGBatch) -> np.ndarray:
    """Boolean (n,): ECGs whose every sample is finite."""
    if np.issubdtype(batch.signals.dtype, np.integer):
        return np.ones(len(batch), dtype=bool)
    return np.isfinite(batch.signals).all(axis=(1, 2))


def _harmonise(batches: list[ECGBatch], name: str, fs: float, leads: tuple[str, ...],
               length: int, notes: list[str]) -> tuple[ECGBatch | None, dict[str, int]]:
    """One harmonised batch from ``batches`` (a list it empties, so each raw batch is freed
    once harmonised), and the counts read / dropped."""
    from ..data import crop_or_pad, resample

    out, read, nan, rates, padded, cropped = [], 0, 0, set(), 0, 0
    batches.reverse()
    while batches:
        batch = batches.pop()
        read += len(batch)
        keep = _finite(batch)
        nan += int((~keep).sum())
        if not keep.any():
            continue
        batch = batch[np.flatnonzero(keep)] if not keep.all() else batch
        if batch.leads != leads:
            batch = batch.select(leads)
        if batch.fs != fs:
            rates.add(batch.fs)
            batch = resample(batch, fs)
        if batch.n_samples < length:
            padded += len(batch)
        elif batch.n_samples > length:
            cropped += len(batch)
        if batch.n_samples != length:
            batch = crop_or_pad(batch, length)
        out.append(batch.to_units("uV"))
    if rates:
        notes.append(f"{name}: resampled from {', '.join(f'{r:g}' for r in sorted(rates))} Hz "
                     f"to {fs:g} Hz (polyphase)")
    if padded:
        notes.append(f"{name}: {padded} ECGs shorter than {length / fs:g} s were zero-padded "
                     "at both ends")
    if cropped:
        notes.append(f"{name}: {cropped} ECGs longer than {length / fs:g} s were cropped to "
                     "their centre")
    if nan:
        notes.append(f"{name}: {nan} ECGs with NaN or infinite samples were dropped")
    sizes = {"read": read, "dropped_nan": nan}
    if not out:
        return None, sizes
    meta = [m for b in out for m in b.meta]
    if len(out) == 1:
        signals = out[0].signals
    else:
        # filled batch by batch into an uncommitted array while the parts are released:
        # 10,000 ECGs (1.2 GB of int16) never exist twice
        dtype = np.int32 if any(b.signals.dtype == np.int32 for b in out) else np.int16
        signals = np.empty((sum(len(b) for b in out), len(leads), length), dtype=dtype)
        row = 0
        out.reverse()
        while out:
            part = out.pop().signals
            signals[row:row + len(part)] = part
            row += len(part)
    return ECGBatch(signals, fs, leads, "uV", meta), sizes


def subsample(batch: ECGBatch, n: int, seed: int, index: int = 0) -> ECGBatch:
    """``n`` ECGs of ``batch`` drawn without replacement by ``rng_for(seed, index)``, in their
    original order (the whole batch when it has at most ``n``)."""
    if n is None or len(batch) <= n:
        return batch
    picked = np.sort(rng_for(seed, index).choice(len(batch), size=int(n), replace=False))
    return batch[picked]


def ecg_hashes(batch: ECGBatch) -> list[str]:
    """sha256 of each ECG's integer µV samples (as int64, so int16 and int32 copies agree)."""
    signals = batch.to_units("uV").signals
    return [hashlib.sha256(np.ascontiguousarray(x, dtype=np.int64).tobytes()).hexdigest()
            for x in signals]


def check_overlap(train: ECGBatch, holdout: ECGBatch) -> None:
    """Refuse a holdout that holds an ECG identical (same integer µV samples) to a training ECG."""
    train_index = {h: i for i, h in enumerate(ecg_hashes(train))}
    shared = [(j, train_index[h]) for j, h in enumerate(ecg_hashes(holdout)) if h in train_index]
    if shared:
        j, i = shared[0]
        raise SynthECGError(
            f"holdout: {len(shared)} of {len(holdout)} ECGs are identical to training ECGs "
            f"(e.g. holdout #{j} = train #{i}); a holdout must hold records the generator "
            "never saw, so the audit refuses to run")


def prepare_inputs(real_train, synthetic, real_holdout=None, *, seed: int = 0,
                   fs: float | None = None, duration_s: float = DURATION_S,
                   max_synthetic: int | None = None, max_real: int | None = None,
                   holdout_fraction: float | None = None,
                   real_filter: str | None = None) -> EvaluationInputs:
    """Read, harmonise and check the three sets (see the module docstring).

    ``fs``: common rate in Hz (default: the synthetic set's). ``max_synthetic`` / ``max_real``:
    subsample larger sets to this many ECGs with ``seed`` (stated in the notes).
    ``holdout_fraction``: without a holdout, hold out this share of ``real_train`` (split
    by ``seed``) so the privacy audit has a reference; a run directory's own holdout list is
    used when ``real_train`` is one and no holdout is given. ``real_filter``: keep only real
    ECGs with these labels (:func:`label_filter`: ``"normal"`` or SNOMED codes).
    """
    if real_holdout is None and is_run_dir(real_train):
        real_holdout = real_train
    raw = {"synthetic": _read_raw(synthetic, "synthetic"),
           "train": _read_raw(real_train, "real_train", "train")}
    if real_holdout is not None:
        raw["holdout"] = _read_raw(real_holdout, "real_holdout", "holdout")
    notes: list[str] = []
    for name in ("train", "holdout"):
        if name in raw:
            raw[name] = _filtered(raw[name], name, real_filter, notes)
    given = {"synthetic": synthetic, "train": real_train, "holdout": real_holdout}
    for name, batches in raw.items():
        if sum(len(b) for b in batches) == 0:
            raise SynthECGError(f"{_arg(name)}: {_describe(given[name])} holds no ECGs")
    target_fs = float(fs) if fs else raw["synthetic"][0].fs
    length = int(round(duration_s * target_fs))
    leads = _common_leads(raw, notes)
    sets, sizes = {}, {}
    for name, batches in raw.items():
        batch, sizes[name] = _harmonise(batches, name, target_fs, leads, length, notes)
        usable = 0 if batch is None else len(batch)
        if usable < MIN_ECGS:
            raise SynthECGError(
                f"{_arg(name)}: {usable} usable ECG{'s' * (usable != 1)} "
                f"({sizes[name]['read']} read, {sizes[name]['dropped_nan']} with NaN); the "
                f"evaluation needs at least {MIN_ECGS} in each set")
        sets[name] = batch
    if "holdout" not in sets and holdout_fraction:
        sets["train"], sets["holdout"] = _split(sets["train"], holdout_fraction, seed, notes)
    for name, limit, index in (("synthetic", max_synthetic, 0), ("train", max_real, 1),
                               ("holdout", max_real, 2)):
        if name in sets and limit is not None and len(sets[name]) > limit:
            notes.append(f"{name}: subsampled {limit} of {len(sets[name])} ECGs (seed {seed})")
            sets[name] = subsample(sets[name], limit, seed, index)
    if "holdout" in sets:
        check_overlap(sets["train"], sets["holdout"])
    else:
        notes.append("no holdout: the privacy audit cannot compare training with unseen records")
    for name, batch in sets.items():
        sizes.setdefault(name, {})["used"] = len(batch)
    sources = {"train": _describe(real_train), "synthetic": _describe(synthetic)}
    if real_holdout is not None:
        sources["holdout"] = _describe(real_holdout)
    elif "holdout" in sets:
        sources["holdout"] = f"{holdout_fraction:g} of {sources['train']} (seed {seed})"
    return EvaluationInputs(train=sets["train"], holdout=sets.get("holdout"),
                            synthetic=sets["synthetic"], fs=target_fs, leads=leads, length=length,
                            sources=sources, sizes=sizes, notes=notes, seed=seed)


def _arg(name: str) -> str:
    return {"train": "real_train", "holdout": "real_holdout"}.get(name, name)


def _common_leads(raw: dict[str, list[ECGBatch]], notes: list[str]) -> tuple[str, ...]:
    order = raw["synthetic"][0].leads
    common = set(order)
    for batches in raw.values():
        for batch in batches:
            common &= set(batch.leads)
    leads = tuple(lead for lead in order if lead in common)
    if not leads:
        raise SynthECGError("leads: the sets share no lead (synthetic has "
                            f"{', '.join(order)}); nothing can be compared")
    for name, batches in raw.items():
        dropped = sorted({lead for b in batches for lead in b.leads} - set(leads))
        if dropped:
            notes.append(f"{name}: leads {', '.join(dropped)} dropped; compared on the "
                         f"{len(leads)} leads all sets have ({', '.join(leads)})")
    return leads


def _split(batch: ECGBatch, fraction: float, seed: int, notes: list[str]):
    if not 0 < fraction < 1:
        raise SynthECGError(f"holdout_fraction: expected a number between 0 and 1, got {fraction}")
    order = rng_for(seed, 3).permutation(len(batch))
    n_hold = int(round(fraction * len(batch)))
    if n_hold < MIN_ECGS or len(batch) - n_hold < MIN_ECGS:
        raise SynthECGError(f"holdout_fraction: {fraction:g} of {len(batch)} real ECGs leaves "
                            f"fewer than {MIN_ECGS} in the training or holdout part")
    notes.append(f"holdout: {n_hold} of {len(batch)} real ECGs held out at random (seed {seed})")
    return batch[np.sort(order[n_hold:])], batch[np.sort(order[:n_hold])]


# --- measurements, cached -----------------------------------------------------------------------
def default_cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "synthecg" / "measurements"


def _engine_digest() -> str:
    """sha256 of the measurement engine's source: a changed engine never reads old results."""
    from .. import measure as measure_pkg

    digest = hashlib.sha256()
    for path in sorted(Path(measure_pkg.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def content_hash(batch: ECGBatch) -> str:
    """sha256 of a batch's integer µV signals, rate, leads and the measurement engine's source."""
    digest = hashlib.sha256()
    digest.update(f"{batch.fs!r}|{','.join(batch.leads)}|{batch.signals.shape}|".encode())
    digest.update(_engine_digest().encode())
    signals = batch.to_units("uV").signals
    for start in range(0, len(signals), 256):
        digest.update(np.ascontiguousarray(signals[start:start + 256], dtype=np.int64).tobytes())
    return digest.hexdigest()


def cached_measure(batch: ECGBatch, cache_dir=None, progress: bool | None = None,
                   desc: str = "measure", digest: str | None = None):
    """``synthecg.measure.measure(batch)``, read from / written to the content-keyed cache.

    Returns ``(DataFrame, hit)``: one row per ECG (index 0..n-1) and whether the cache answered.
    ``cache_dir=False`` measures without caching. ``digest``: ``content_hash(batch)`` when the
    caller has it (hashing 10,000 ECGs takes seconds).
    """
    import pandas as pd

    from ..measure import measure

    path = _cache_file(batch, cache_dir, digest, ".csv")
    if path is not None and path.is_file():
        try:
            table = pd.read_csv(path, index_col=0)
            if len(table) == len(batch):
                return table, True
        except (OSError, ValueError, pd.errors.ParserError):
            pass  # a damaged cache entry is measured again and replaced
    parts, step = [], 256
    with progress_bar(len(batch), desc, unit="ECG", enabled=progress) as bar:
        for start in range(0, len(batch), step):
            parts.append(measure(batch[start:start + step]))
            bar.update(min(step, len(batch) - start))
    table = pd.concat(parts, ignore_index=True)
    _store(path, table.to_csv)
    return table, False


def _cache_file(batch: ECGBatch, cache_dir, digest: str | None, suffix: str) -> Path | None:
    """Where ``batch``'s cache entry with this suffix lives, or None when caching is off."""
    if cache_dir is False:
        return None
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    return folder / f"{digest or content_hash(batch)}{suffix}"


def _store(path: Path | None, write) -> None:
    """``write(temporary path)`` then rename onto ``path``; an unwritable cache only costs time
    on the next run, so failures are ignored."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, overwrite=True) as tmp:
            write(tmp)
    except (OSError, SynthECGError):
        pass


def _rhythm_digest() -> str:
    """sha256 of the code behind the privacy audit's beat representation (beside the engine)."""
    from . import _shift_invariant

    return hashlib.sha256(Path(_shift_invariant.__file__).read_bytes()).hexdigest()[:16]


def cached_rhythm_beats(batch: ECGBatch, cache_dir=None, digest: str | None = None):
    """``_shift_invariant.rhythm_beats(batch)`` (median beats, median RR, RR variability: the
    privacy audit's representation), read from / written to the content-keyed cache as ``.npz``.

    Returns ``((beats, rr_ms, rr_cv), hit)``. Beat detection over 10,000 ECGs costs about as
    much as measuring them, so a re-run (another threshold, the report again) reads it back.
    """
    from ._shift_invariant import rhythm_beats

    path = _cache_file(batch, cache_dir, digest, f".rhythm-{_rhythm_digest()}.npz")
    if path is not None and path.is_file():
        try:
            with np.load(path) as data:
                value = (data["beats"], data["rr_ms"], data["rr_cv"])
            if len(value[0]) == len(batch) and value[0].shape[1] == batch.n_leads:
                return value, True
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is computed again and replaced
    value = rhythm_beats(batch)

    def write(tmp):
        with open(tmp, "wb") as fh:
            np.savez(fh, beats=value[0], rr_ms=value[1], rr_cv=value[2])

    _store(path, write)
    return value, False
