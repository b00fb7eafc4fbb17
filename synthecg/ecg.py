"""`ECGBatch`: the one container every SynthECG function takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import SynthECGError
from .leads import normalize_lead_name

UNITS = ("uV", "mV")


@dataclass(eq=False)
class ECGBatch:
    """A batch of ECGs with the same sampling rate, length and leads.

    Attributes
    ----------
    signals : np.ndarray, shape (n_ecgs, n_leads, n_samples)
        Integers (int16 or int32) when ``units == "uV"``; float32 when ``units == "mV"``.
    fs : float
        Sampling rate in Hz.
    leads : tuple of str
        Lead names in standard spelling ("I", "II", "III", "aVR", "aVL", "aVF", "V1"..."V6");
        other names are kept as given.
    units : {"uV", "mV"}
        Microvolts as integers, or millivolts as float32.
    meta : list of dict
        One dict per ECG: seed and index, model, source file, age/sex/labels when known.
    """

    signals: np.ndarray
    fs: float
    leads: tuple[str, ...]
    units: str = "uV"
    meta: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        signals = np.asarray(self.signals)
        if signals.ndim != 3:
            raise SynthECGError(f"signals: expected shape (n_ecgs, n_leads, n_samples), got {signals.shape}")
        if self.units not in UNITS:
            raise SynthECGError(f"units: expected 'uV' or 'mV', got {self.units!r}")
        if self.units == "uV" and not np.issubdtype(signals.dtype, np.integer):
            raise SynthECGError(f"signals: units 'uV' are stored as integers, got {signals.dtype}; "
                                "convert with np.rint(...).astype(np.int32) or use units='mV'")
        if self.units == "mV":
            if not np.issubdtype(signals.dtype, np.floating):
                signals = signals.astype(np.float32)
            elif signals.dtype != np.float32:
                signals = signals.astype(np.float32)
        self.signals = signals
        try:
            self.fs = float(self.fs)
        except (TypeError, ValueError):
            raise SynthECGError(f"fs: expected a sampling rate in Hz, got {self.fs!r}") from None
        if not np.isfinite(self.fs) or self.fs <= 0:
            raise SynthECGError(f"fs: sampling rate must be a positive number of Hz, got {self.fs}")
        leads = tuple(normalize_lead_name(lead) for lead in self.leads)
        if len(leads) != signals.shape[1]:
            raise SynthECGError(f"leads: {len(leads)} names for {signals.shape[1]} leads in signals")
        if len(set(leads)) != len(leads):
            raise SynthECGError(f"leads: duplicate lead names in {leads}")
        self.leads = leads
        meta = list(self.meta) if self.meta is not None else []
        if not meta:
            meta = [{} for _ in range(signals.shape[0])]
        if len(meta) != signals.shape[0]:
            raise SynthECGError(f"meta: {len(meta)} entries for {signals.shape[0]} ECGs")
        self.meta = [dict(m) for m in meta]

    # --- shape -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.signals.shape[0]

    @property
    def n_leads(self) -> int:
        return self.signals.shape[1]

    @property
    def n_samples(self) -> int:
        return self.signals.shape[2]

    @property
    def duration(self) -> float:
        """Length of each ECG in seconds."""
        return self.n_samples / self.fs

    def __repr__(self) -> str:
        return (f"ECGBatch(n={len(self)}, leads={len(self.leads)} {list(self.leads)}, "
                f"samples={self.n_samples}, fs={self.fs:g} Hz, units={self.units}, "
                f"dtype={self.signals.dtype})")

    # --- selection ---------------------------------------------------------------------------
    def __getitem__(self, item: int | slice | Sequence[int] | np.ndarray) -> "ECGBatch":
        """ECGs by position; an integer gives a batch of one ECG (always an ECGBatch)."""
        if isinstance(item, (int, np.integer)):
            n = len(self)
            if not -n <= item < n:
                raise IndexError(f"ECG index {item} out of range for a batch of {n}")
            item = slice(item % n, item % n + 1)
        if isinstance(item, slice):
            positions = range(len(self))[item]
            signals = self.signals[item]
        else:
            positions = np.arange(len(self))[np.asarray(item)]
            signals = self.signals[positions]
        return ECGBatch(signals=signals, fs=self.fs, leads=self.leads, units=self.units,
                        meta=[self.meta[i] for i in positions])

    def select(self, leads: Iterable[str]) -> "ECGBatch":
        """A batch with only ``leads``, in the order given (names are normalised first)."""
        wanted = [normalize_lead_name(lead) for lead in leads]
        missing = [lead for lead in wanted if lead not in self.leads]
        if missing:
            raise SynthECGError(f"leads: {', '.join(missing)} not in this batch "
                                f"(it has {', '.join(self.leads)})")
        rows = [self.leads.index(lead) for lead in wanted]
        return ECGBatch(signals=self.signals[:, rows], fs=self.fs, leads=tuple(wanted),
                        units=self.units, meta=self.meta)

    def lead(self, name: str) -> np.ndarray:
        """The signals of one lead: array (n_ecgs, n_samples) in this batch's units."""
        return self.select([name]).signals[:, 0]

    # --- units -------------------------------------------------------------------------------
    def to_units(self, units: str) -> "ECGBatch":
        """The same ECGs in ``units``: "mV" gives float32, "uV" gives int16 (int32 if needed).

        Converting to µV rounds to the nearest microvolt and refuses NaN or infinite samples.
        """
        if units not in UNITS:
            raise SynthECGError(f"units: expected 'uV' or 'mV', got {units!r}")
        if units == self.units:
            return ECGBatch(self.signals, self.fs, self.leads, self.units, self.meta)
        if units == "mV":
            signals = self.signals.astype(np.float32) / np.float32(1000.0)
        else:
            if not np.all(np.isfinite(self.signals)):
                raise SynthECGError("signals: NaN or infinite samples cannot be stored as integer µV")
            signals = to_integer_uv(self.signals.astype(np.float64) * 1000.0)
        return ECGBatch(signals=signals, fs=self.fs, leads=self.leads, units=units, meta=self.meta)

    # --- combining ---------------------------------------------------------------------------
    @classmethod
    def concat(cls, batches: Sequence["ECGBatch"]) -> "ECGBatch":
        """One batch from several with the same fs, leads and units."""
        batches = list(batches)
        if not batches:
            raise SynthECGError("concat: no batches given")
        first = batches[0]
        for other in batches[1:]:
            if (other.fs, other.leads, other.units, other.n_samples) != (
                    first.fs, first.leads, first.units, first.n_samples):
                raise SynthECGError(
                    f"concat: batches differ (fs {first.fs:g} vs {other.fs:g} Hz, "
                    f"{first.n_samples} vs {other.n_samples} samples, leads or units)")
        signals = np.concatenate([b.signals for b in batches], axis=0)
        if first.units == "uV":
            signals = signals.astype(np.result_type(*[b.signals.dtype for b in batches]), copy=False)
        return cls(signals=signals, fs=first.fs, leads=first.leads, units=first.units,
                   meta=[m for b in batches for m in b.meta])


def to_integer_uv(values_uv: np.ndarray) -> np.ndarray:
    """Round float µV to integers: int16 when every value fits, else int32; never wraps."""
    rounded = np.rint(values_uv)
    if rounded.size == 0 or (rounded.min() >= -32768 and rounded.max() <= 32767):
        return rounded.astype(np.int16)
    if rounded.min() < np.iinfo(np.int32).min or rounded.max() > np.iinfo(np.int32).max:
        raise SynthECGError("signals: values beyond ±2.1 kV cannot be ECG microvolts")
    return rounded.astype(np.int32)
