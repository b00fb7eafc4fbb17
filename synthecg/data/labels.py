"""Diagnosis labels of training records and the label filter (``DataConfig.filter``).

Where labels come from:

- WFDB / CinC headers: ``# Dx: 426783006,164889003`` -> ``meta["labels"]`` (SNOMED-CT codes;
  :mod:`synthecg.io.header`). An empty ``# Dx:`` line (35 of the CinC 2020 samples) is no label.
- PTB-XL: ``ptbxl_database.csv`` (``ecg_id``, ``patient_id``, ``scp_codes`` such as
  ``{'NORM': 100.0, 'SR': 0.0}``, ``filename_hr``/``filename_lr``). A record is matched by its
  file stem (``00001_hr`` / ``00001_lr``, the PTB-XL layout) or by a CinC ``HRnnnnn`` name
  (the CinC challenges' copy of PTB-XL record ``nnnnn``).
- Everything else (LUDB: free-text diagnoses in its header comments; CODE-15 exports: only a
  Chagas label; generated ECGs) has no labels this module understands.

Filter rules (a record without labels never passes a filter and is skipped with the reason
``no diagnosis labels``):

- ``"normal"``: SNOMED labels exactly ``{426783006}`` (sinus rhythm and no other statement: the
  CinC "normal ECG"), or PTB-XL ``NORM`` with likelihood >= 50 (PTB-XL's likelihoods are
  15/35/50/80/100; 0 means "not given", which counts as present) when the record was matched.
- ``"426783006,427084000"``: comma-separated codes; a record passes when any of its labels
  (SNOMED codes, or PTB-XL SCP codes when matched) is among them.
"""

from __future__ import annotations

import ast
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SynthECGError

SINUS_RHYTHM = "426783006"
PTBXL_NORMAL_MIN_LIKELIHOOD = 50.0
_CINC_PTBXL = re.compile(r"^HR(\d+)$")
_PTBXL_STEM = re.compile(r"^(\d+)_(hr|lr)$")
_PATIENT_COMMENT = re.compile(r"^patient\s*id\s*:\s*(\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class PtbxlRow:
    """One row of ``ptbxl_database.csv``: SCP codes with likelihoods (%) and the patient."""

    ecg_id: int
    patient_id: str | None
    scp_codes: dict[str, float]


def read_ptbxl_database(path: str | Path) -> dict[int, PtbxlRow]:
    """``ecg_id -> PtbxlRow`` from PTB-XL's ``ptbxl_database.csv``."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SynthECGError(f"ptbxl_database {path}: unreadable ({exc})") from exc
    if not rows or not {"ecg_id", "scp_codes"} <= set(rows[0]):
        raise SynthECGError(f"ptbxl_database {path}: not PTB-XL's ptbxl_database.csv "
                            "(needs columns ecg_id and scp_codes)")
    table = {}
    for line, row in enumerate(rows, start=2):
        try:
            ecg_id = int(float(row["ecg_id"]))
            codes = ast.literal_eval(row["scp_codes"] or "{}")
            if not isinstance(codes, dict):
                raise ValueError("scp_codes is not a dict")
            codes = {str(k): float(v) for k, v in codes.items()}
        except (ValueError, SyntaxError, TypeError) as exc:
            raise SynthECGError(f"ptbxl_database {path}: line {line}: bad ecg_id or scp_codes "
                                f"({exc})") from None
        patient = row.get("patient_id") or None
        if patient is not None:
            try:  # PTB-XL writes patient ids as floats ("15709.0")
                patient = str(int(float(patient)))
            except ValueError:
                pass
        table[ecg_id] = PtbxlRow(ecg_id, patient, codes)
    return table


def ptbxl_id(file: Path) -> int | None:
    """The PTB-XL ecg_id a record file stands for (``00001_hr.hea``, CinC ``HR00001.hea``)."""
    stem = Path(file).stem
    match = _PTBXL_STEM.match(stem) or _CINC_PTBXL.match(stem)
    return int(match.group(1)) if match else None


def labels_of(meta: dict[str, Any], ptbxl: PtbxlRow | None) -> tuple[set[str], bool]:
    """``(labels, normal)`` for one record; empty labels mean "no diagnosis labels"."""
    if ptbxl is not None and ptbxl.scp_codes:
        norm = ptbxl.scp_codes.get("NORM")
        normal = norm is not None and (norm >= PTBXL_NORMAL_MIN_LIKELIHOOD or norm == 0.0)
        return set(ptbxl.scp_codes), normal
    labels = {str(code) for code in meta.get("labels") or [] if str(code).strip()}
    return labels, labels == {SINUS_RHYTHM}


class LabelFilter:
    """``filter`` of a DataConfig as a predicate: ``reason(meta, file)`` is None when the record
    passes, else why it is skipped."""

    def __init__(self, spec: str | None, ptbxl_database: str | Path | None = None):
        self.spec = spec
        self.codes: set[str] | None = None
        if spec is not None:
            if not isinstance(spec, str) or not spec.strip():
                raise SynthECGError(f"filter: expected None, 'normal' or comma-separated codes, "
                                    f"got {spec!r}")
            if spec.strip().lower() != "normal":
                self.codes = {c.strip() for c in spec.split(",") if c.strip()}
        self.ptbxl = read_ptbxl_database(ptbxl_database) if ptbxl_database else None
        self.labelled = 0  # records seen that carry labels (to say when a source has none)

    def ptbxl_row(self, file: Path) -> PtbxlRow | None:
        if self.ptbxl is None:
            return None
        ecg_id = ptbxl_id(file)
        return self.ptbxl.get(ecg_id) if ecg_id is not None else None

    def reason(self, meta: dict[str, Any], file: Path) -> str | None:
        if self.spec is None:
            return None
        labels, normal = labels_of(meta, self.ptbxl_row(file))
        if not labels:
            return "no diagnosis labels"
        self.labelled += 1
        if self.codes is None:
            return None if normal else "filtered out: not normal (" + ",".join(sorted(labels)) + ")"
        if labels & self.codes:
            return None
        return "filtered out: none of " + ",".join(sorted(self.codes))

    def patient(self, meta: dict[str, Any], file: Path) -> str | None:
        """The patient a record belongs to, when known (PTB-XL patient_id, a ``Patient ID:``
        header comment as in CODE-15 exports, or ``meta["patient_id"]``)."""
        row = self.ptbxl_row(file)
        if row is not None and row.patient_id:
            return row.patient_id
        if meta.get("patient_id") is not None:
            return str(meta["patient_id"])
        for line in meta.get("comments") or []:
            match = _PATIENT_COMMENT.match(str(line))
            if match:
                return match.group(1)
        return None
