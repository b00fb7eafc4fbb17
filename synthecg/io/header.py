"""WFDB header text shared by the WFDB and CinC readers: the record and signal lines, and the
comment lines that carry metadata (``# Age:``, ``# Sex:``, ``# Dx:``).

Metadata mapping (both directions, so write -> read gives the same ``meta``):

- ``Age: 51`` (or LUDB's ``<age>: 51``) -> ``meta["age"] = 51`` (``NaN``/unknown is left out)
- ``Sex: Male`` / ``<sex>: M`` -> ``meta["sex"] = "M"`` (``F`` for female; other text kept)
- ``Dx: 426783006,164889003`` -> ``meta["labels"] = ["426783006", "164889003"]`` (SNOMED codes)
- ``synthecg-meta: {json}`` (written by SynthECG) -> every other meta key (source, seed, ...)
- any other comment line -> kept verbatim in ``meta["comments"]`` (a list of str)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SynthECGError

META_TAG = "synthecg-meta:"
UNITS_TAG = "synthecg-units:"
_AGE_KEYS = ("age", "<age>")
_SEX_KEYS = ("sex", "<sex>", "gender")
_DX_KEYS = ("dx",)
_SEX = {"m": "M", "male": "M", "f": "F", "female": "F"}


@dataclass
class SignalSpec:
    """One signal line: file name, WFDB format, gain (adu per unit), baseline, units, name."""

    file: str
    fmt: str
    gain: float
    baseline: int
    units: str
    name: str
    checksum: int | None = None


@dataclass
class Header:
    """A parsed ``.hea``: record name, fs (Hz), samples per signal, signals, comment lines."""

    record: str
    fs: float
    n_samples: int
    signals: list[SignalSpec]
    comments: list[str] = field(default_factory=list)


def parse_header(path: Path) -> Header:
    """Parse a single-segment WFDB header. Raises SynthECGError naming ``path``."""
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise SynthECGError(f"{path}: unreadable header ({exc})") from exc
    lines = [line.strip() for line in text.splitlines()]
    comments = [line.lstrip("#").strip() for line in lines if line.startswith("#")]
    body = [line for line in lines if line and not line.startswith("#")]
    if not body:
        raise SynthECGError(f"{path}: empty WFDB header")
    try:
        fields = body[0].split()
        n_sig = int(fields[1])
        fs = float(fields[2].split("/")[0]) if len(fields) > 2 else 250.0
        n_samples = int(fields[3])
        if "/" in fields[0]:
            raise SynthECGError(f"{path}: multi-segment records are not supported")
        signals = [_signal_line(line) for line in body[1:1 + n_sig]]
    except (IndexError, ValueError) as exc:
        if isinstance(exc, SynthECGError):
            raise
        raise SynthECGError(f"{path}: malformed WFDB header ({exc})") from exc
    if n_sig <= 0 or len(signals) != n_sig:
        raise SynthECGError(f"{path}: header announces {n_sig} signals, describes {len(signals)}")
    if not (math.isfinite(fs) and fs > 0) or n_samples <= 0:
        raise SynthECGError(f"{path}: header gives fs={fields[2]} Hz and {n_samples} samples")
    return Header(record=fields[0], fs=fs, n_samples=n_samples, signals=signals, comments=comments)


def _signal_line(line: str) -> SignalSpec:
    fields = line.split()
    fmt = fields[1].split("x")[0].split(":")[0].split("+")[0]
    gain, baseline, units = 200.0, None, "mV"  # WFDB defaults
    if len(fields) > 2:
        spec = fields[2]
        if "/" in spec:
            spec, units = spec.split("/", 1)
        if "(" in spec:
            spec, base = spec.split("(", 1)
            baseline = int(base.rstrip(")"))
        gain = float(spec) or 200.0  # a gain of 0 means "uncalibrated": WFDB uses 200
    adc_zero = int(fields[4]) if len(fields) > 4 else 0
    checksum = int(fields[6]) if len(fields) > 6 else None
    name = " ".join(fields[8:]) if len(fields) > 8 else ""
    return SignalSpec(file=fields[0], fmt=fmt, gain=gain, baseline=adc_zero if baseline is None
                      else baseline, units=units, name=name, checksum=checksum)


def check_checksums(digital, checksums, path: Path) -> None:
    """Compare each lead's 16-bit sample sum with the header's checksum (when given), so
    damaged signal bytes raise instead of reading as wrong numbers.

    ``digital``: integer array (n_leads, n_samples); ``checksums``: one int or None per lead.
    """
    import numpy as np

    sums = digital.astype(np.int64).sum(axis=1)
    for lead, (total, expected) in enumerate(zip(sums, checksums)):
        if expected is None:
            continue
        actual = (int(total) + 32768) % 65536 - 32768  # WFDB: the sum as a signed 16-bit value
        if actual != (expected + 32768) % 65536 - 32768:
            raise SynthECGError(f"{path}: signal {lead + 1} fails its header checksum "
                                f"({actual} vs {expected}); the signal file is damaged")


def meta_from_comments(comments: list[str]) -> tuple[dict[str, Any], str | None]:
    """``(meta, units hint)`` from header comment lines (see the module docstring)."""
    meta: dict[str, Any] = {}
    extra: list[str] = []
    units = None
    for line in comments:
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if line.startswith(META_TAG):
            try:
                loaded = json.loads(line[len(META_TAG):])
            except json.JSONDecodeError:
                loaded = None
            if isinstance(loaded, dict):
                meta.update(loaded)
                continue
        elif line.startswith(UNITS_TAG):
            units = value if value in ("uV", "mV") else None
            continue
        elif sep and key in _AGE_KEYS:
            try:
                age = float(value)
            except ValueError:
                age = math.nan
            if math.isfinite(age):
                meta["age"] = int(round(age))
            continue
        elif sep and key in _SEX_KEYS:
            if value:
                meta["sex"] = _SEX.get(value.lower(), value)
            continue
        elif sep and key in _DX_KEYS:
            meta["labels"] = [code.strip() for code in value.split(",") if code.strip()]
            continue
        extra.append(line)
    if extra:
        meta["comments"] = extra
    return meta, units


def comments_from_meta(meta: dict[str, Any], units: str | None = None) -> list[str]:
    """Header comment lines for one ECG's ``meta`` (the inverse of :func:`meta_from_comments`)."""
    lines = []
    if "age" in meta:
        lines.append(f"Age: {meta['age']}")
    if "sex" in meta:
        lines.append(f"Sex: {meta['sex']}")
    if "labels" in meta:
        lines.append("Dx: " + ",".join(str(code) for code in meta["labels"]))
    lines.extend(str(line) for line in meta.get("comments", []))
    rest = {k: v for k, v in meta.items() if k not in ("age", "sex", "labels", "comments")}
    if rest:
        lines.append(META_TAG + " " + json.dumps(rest, sort_keys=True, separators=(",", ":")))
    if units:
        lines.append(f"{UNITS_TAG} {units}")
    return lines
