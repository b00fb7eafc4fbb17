"""One-line, human-readable descriptions of ECGs (used by ``synthecg info`` and the demo)."""

from __future__ import annotations

import numpy as np

from .ecg import ECGBatch


def describe_batch(batch: ECGBatch, source=None) -> str:
    """``"<source>: 16 ECGs, 12 leads (I ... V6), 10.0 s at 500 Hz, int16 uV"``."""
    where = f"{source}: " if source is not None else ""
    return (f"{where}{len(batch)} ECG{'s' * (len(batch) != 1)}, {batch.n_leads} leads "
            f"({' '.join(batch.leads)}), {batch.duration:.1f} s at {batch.fs:g} Hz, "
            f"{batch.signals.dtype} {batch.units}")


def summary_line(batch: ECGBatch, i: int) -> str:
    """Identity, amplitude range of lead II (or the first lead) and the largest lead swing."""
    meta = batch.meta[i]
    ident = ", ".join(f"{k}={meta[k]}" for k in ("seed", "index", "source") if k in meta)
    x = batch.signals[i].astype(np.float64)
    if batch.units == "mV":
        x = x * 1000.0
    ref = batch.leads.index("II") if "II" in batch.leads else 0
    swing = x.max(axis=1) - x.min(axis=1)
    widest = int(np.argmax(swing))
    flat = [batch.leads[j] for j in range(batch.n_leads) if swing[j] < 20.0]
    text = (f"ECG {i:>4} ({ident or 'no id'}): lead {batch.leads[ref]} {x[ref].min():+.0f}..{x[ref].max():+.0f} uV, "
            f"largest swing {batch.leads[widest]} {swing[widest]:.0f} uV")
    return text + (f", flat leads: {' '.join(flat)}" if flat else "")
