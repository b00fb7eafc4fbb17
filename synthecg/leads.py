"""Lead names and the limb-lead identities, written once for the whole package.

A standard 12-lead ECG has 8 independent leads (I, II, V1-V6); the other four limb leads follow
from Einthoven's and Goldberger's identities::

    III = II - I        aVR = -(I + II) / 2        aVL = I - II / 2        aVF = II - I / 2

DeepFake-ECG's generators produce the 8 independent leads in the order of
:data:`INDEPENDENT_8`; :func:`expand_to_12` derives the rest.
"""

from __future__ import annotations

import numpy as np

from .errors import SynthECGError

STANDARD_12: tuple[str, ...] = ("I", "II", "III", "aVR", "aVL", "aVF",
                                "V1", "V2", "V3", "V4", "V5", "V6")
INDEPENDENT_8: tuple[str, ...] = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")
DERIVED_LIMB: tuple[str, ...] = ("III", "aVR", "aVL", "aVF")

_CANONICAL = {name.upper(): name for name in STANDARD_12}
# Spellings seen in real headers: roman numerals in any case, 'AVR', 'avr', 'V1 ', 'MLII'...
_ALIASES = {"MLI": "I", "MLII": "II", "MLIII": "III", "-AVR": "aVR"}


def normalize_lead_name(name: str) -> str:
    """The standard spelling of a lead name ('i' -> 'I', 'AVR' -> 'aVR', 'v1' -> 'V1').

    Names that are not standard leads are returned stripped but otherwise unchanged.
    """
    key = str(name).strip().upper().replace(" ", "")
    return _CANONICAL.get(key) or _ALIASES.get(key) or str(name).strip()


def is_standard(name: str) -> bool:
    """True if ``name`` (already normalised) is one of the 12 standard leads."""
    return name in STANDARD_12


def limb_leads_from_i_ii(lead_i: np.ndarray, lead_ii: np.ndarray) -> dict[str, np.ndarray]:
    """III, aVR, aVL and aVF (float64 arrays) from leads I and II of any shape and unit."""
    lead_i = np.asarray(lead_i, dtype=np.float64)
    lead_ii = np.asarray(lead_ii, dtype=np.float64)
    return {
        "III": lead_ii - lead_i,
        "aVR": -(lead_i + lead_ii) / 2.0,
        "aVL": lead_i - lead_ii / 2.0,
        "aVF": lead_ii - lead_i / 2.0,
    }


def expand_to_12(batch):
    """An ECGBatch with the 12 standard leads, deriving III, aVR, aVL and aVF from I and II.

    Needs leads I, II and V1-V6. Integer (µV) batches stay integers: derived leads are rounded
    to the nearest µV (so the identities hold within 1 µV). Leads already present are kept as
    they are, except that derived limb leads are recomputed so the identities hold exactly.
    """
    missing = [lead for lead in INDEPENDENT_8 if lead not in batch.leads]
    if missing:
        raise SynthECGError(f"leads: cannot derive 12 leads, missing {', '.join(missing)} "
                            f"(have {', '.join(batch.leads)})")
    index = {lead: i for i, lead in enumerate(batch.leads)}
    lead_i, lead_ii = batch.signals[:, index["I"]], batch.signals[:, index["II"]]
    if np.issubdtype(batch.signals.dtype, np.integer):
        derived = _integer_limb_leads(lead_i, lead_ii)
        out_dtype = _integer_dtype_for(batch.signals.dtype, *derived.values())
    else:
        derived = limb_leads_from_i_ii(lead_i, lead_ii)
        out_dtype = batch.signals.dtype
    out = np.empty((len(batch), 12, batch.n_samples), dtype=out_dtype)
    for row, lead in enumerate(STANDARD_12):
        out[:, row] = derived[lead] if lead in derived else batch.signals[:, index[lead]]
    return type(batch)(signals=out, fs=batch.fs, leads=STANDARD_12, units=batch.units,
                       meta=[dict(m) for m in batch.meta])


def _integer_limb_leads(lead_i: np.ndarray, lead_ii: np.ndarray) -> dict[str, np.ndarray]:
    """The limb leads of integer µV leads, rounded half to even exactly as np.rint would,
    in integer arithmetic (no float64 copies of the whole batch)."""
    wide = np.int32 if lead_i.dtype.itemsize <= 2 else np.int64  # 2 * int16 fits int32
    i, ii = lead_i.astype(wide), lead_ii.astype(wide)

    def half(twice: np.ndarray) -> np.ndarray:
        floor = twice >> 1  # floor(twice / 2)
        return floor + (twice & 1 & floor)  # a .5 goes to the even neighbour

    return {"III": ii - i, "aVR": half(-(i + ii)), "aVL": half(2 * i - ii), "aVF": half(2 * ii - i)}


def independent_8(batch):
    """An ECGBatch with only the 8 independent leads I, II, V1-V6, in that order."""
    return batch.select(INDEPENDENT_8)


def _integer_dtype_for(base: np.dtype, *arrays: np.ndarray) -> np.dtype:
    """The input integer dtype if every derived value fits in it, else int32 (never wrap)."""
    info = np.iinfo(base)
    lo = min(float(a.min()) for a in arrays) if arrays and arrays[0].size else 0.0
    hi = max(float(a.max()) for a in arrays) if arrays and arrays[0].size else 0.0
    if info.min <= lo and hi <= info.max:
        return np.dtype(base)
    return np.dtype(np.int32)
