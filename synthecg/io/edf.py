"""EDF/EDF+ files through pyedflib: one ECG per file, one signal per lead.

Writing: µV batches are stored with dimension ``uV`` and physical range = digital range
(-32768..32767), so 1 adu = 1 µV exactly; mV batches with dimension ``mV`` and physical range
±32.768 mV (1 µV steps). ``meta`` goes into EDF+ annotations at onset 0 (as JSON in numbered
pieces, because pyedflib reads annotation texts of at most 40 characters).
Reading: each signal's digital samples are scaled by its physical/digital ranges: integer µV
when that is exact (dimension uV, 1 µV per adu), else float32 mV.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .._files import atomic_path
from ..ecg import ECGBatch
from ..errors import SynthECGError
from .wfdb import _UV_PER_UNIT, lead_names

_PIECE = 30  # JSON characters per annotation; with the "sm:NNNN:" prefix < 40 characters
_PREFIX = "sm:"


def read_edf(path: Path) -> ECGBatch:
    """One EDF/EDF+ file as a batch of one ECG (all signals must share one rate and length)."""
    import pyedflib

    try:
        reader = pyedflib.EdfReader(str(path))
    except FileNotFoundError:
        raise SynthECGError(f"{path}: file not found") from None
    except Exception as exc:  # pyedflib raises OSError with a C-library message, or others
        raise SynthECGError(f"{path}: unreadable EDF file ({type(exc).__name__}: {exc})") from exc
    try:
        n = reader.signals_in_file
        headers = [reader.getSignalHeader(i) for i in range(n)]
        rates = {float(reader.getSampleFrequency(i)) for i in range(n)}
        lengths = {int(x) for x in reader.getNSamples()}
        if n == 0 or len(rates) != 1 or len(lengths) != 1 or 0 in lengths:
            raise SynthECGError(f"{path}: needs signals of one rate and length "
                                f"(found {n} signals, rates {sorted(rates)}, lengths {sorted(lengths)})")
        digital = np.stack([reader.readSignal(i, digital=True) for i in range(n)]).astype(np.int64)
        texts = reader.readAnnotations()[2]
    except SynthECGError:
        raise
    except Exception as exc:
        raise SynthECGError(f"{path}: damaged EDF file ({type(exc).__name__}: {exc})") from exc
    finally:
        reader.close()
    if digital.shape[1] != lengths.pop():
        raise SynthECGError(f"{path}: file shorter than its header says")
    uv_per_adu, offset_uv, dims = [], [], set()
    for h in headers:
        scale = _UV_PER_UNIT.get(h["dimension"].strip().lower())
        span_d = h["digital_max"] - h["digital_min"]
        if scale is None or span_d <= 0 or h["physical_max"] == h["physical_min"]:
            raise SynthECGError(f"{path}: signal {h['label']!r} has no voltage calibration "
                                f"(dimension {h['dimension']!r})")
        step = (h["physical_max"] - h["physical_min"]) / span_d * scale
        uv_per_adu.append(step)
        offset_uv.append(h["physical_min"] * scale - h["digital_min"] * step)
        dims.add(h["dimension"].strip().lower())
    step, offset = np.array(uv_per_adu)[:, None], np.array(offset_uv)[:, None]
    if dims == {"uv"} and np.all(step == 1) and np.all(offset == 0):
        signals, units = digital.astype(np.int16), "uV"
    else:
        signals, units = ((digital * step + offset) / 1000.0).astype(np.float32), "mV"
    meta = _meta_from_annotations(texts)
    meta.setdefault("source", str(path))
    return ECGBatch(signals=signals[None], fs=rates.pop(), leads=lead_names(
        [h["label"] for h in headers], path), units=units, meta=[meta])


def _meta_from_annotations(texts) -> dict:
    pieces = {}
    for text in texts:
        text = str(text)
        if text.startswith(_PREFIX) and text.count(":") >= 2:
            _, number, piece = text.split(":", 2)
            if number.isdigit():
                pieces[int(number)] = piece
    try:
        meta = json.loads("".join(pieces[k] for k in sorted(pieces))) if pieces else {}
    except json.JSONDecodeError:
        meta = {}
    return meta if isinstance(meta, dict) else {}


def write_edf(batch: ECGBatch, path: Path, overwrite: bool = False) -> None:
    """The first ECG of ``batch`` as an EDF+ file (atomic; read back before it is renamed)."""
    import pyedflib

    one = batch[0]
    if one.units == "uV":
        digital = one.signals[0].astype(np.int64)
        if digital.size and (digital.min() < -32768 or digital.max() > 32767):
            raise SynthECGError(f"{path}: values beyond ±32.767 mV do not fit EDF's 16 bits")
        dimension, pmin, pmax = "uV", -32768.0, 32767.0
    else:
        digital = np.rint(one.signals[0].astype(np.float64) * 1000.0).astype(np.int64)
        if digital.size and (np.abs(digital).max() > 32767):
            raise SynthECGError(f"{path}: values beyond ±32.767 mV do not fit EDF's 16 bits")
        dimension, pmin, pmax = "mV", -32.768, 32.767
    fs, n = float(one.fs), one.n_samples
    duration = 1.0 if fs.is_integer() and n % int(fs) == 0 else n / fs
    headers = [dict(label=lead, dimension=dimension, sample_frequency=fs, physical_min=pmin,
                    physical_max=pmax, digital_min=-32768, digital_max=32767) for lead in one.leads]
    text = json.dumps(one.meta[0], sort_keys=True, separators=(",", ":"))
    with atomic_path(path, overwrite=overwrite) as tmp:
        try:
            writer = pyedflib.EdfWriter(str(tmp), one.n_leads, file_type=pyedflib.FILETYPE_EDFPLUS)
            try:
                writer.setSignalHeaders(headers)
                writer.set_number_of_annotation_signals(64)  # room for the meta pieces
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # "forcing a record duration": intended
                    writer.setDatarecordDuration(duration)
                for k in range(0, len(text), _PIECE):
                    writer.writeAnnotation(0, -1, f"{_PREFIX}{k // _PIECE:04d}:{text[k:k + _PIECE]}")
                writer.writeSamples([np.ascontiguousarray(row, dtype=np.int32) for row in digital],
                                    digital=True)
            finally:
                writer.close()
        except SynthECGError:
            raise
        except Exception as exc:
            raise SynthECGError(f"{path}: pyedflib could not write ({exc})") from exc
        # The EDF C library writes by itself; reading the file back catches a short write.
        back = read_edf(tmp)
        if back.signals.shape != one.signals.shape:
            raise SynthECGError(f"{path}: written file does not read back; nothing was kept")
