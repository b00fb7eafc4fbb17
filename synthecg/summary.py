"""Human-readable descriptions of ECGs (used by ``synthecg info`` and the demo): one line per
batch or ECG, and :class:`DatasetSummary` for a whole file or folder read batch by batch."""

from __future__ import annotations

from collections import Counter

import numpy as np

from .ecg import ECGBatch


def describe_batch(batch: ECGBatch, source=None, n: int | None = None) -> str:
    """``"<source>: 16 ECGs, 12 leads (I ... V6), 10.0 s at 500 Hz, int16 uV"`` (``n``
    overrides the count, for a dataset read in several batches)."""
    where = f"{source}: " if source is not None else ""
    n = len(batch) if n is None else n
    return (f"{where}{n} ECG{'s' * (n != 1)}, {batch.n_leads} leads "
            f"({' '.join(batch.leads)}), {batch.duration:.1f} s at {batch.fs:g} Hz, "
            f"{batch.signals.dtype} {batch.units}")


def summary_line(batch: ECGBatch, i: int, number: int | None = None) -> str:
    """Identity, amplitude range of lead II (or the first lead) and the largest lead swing;
    ``number`` is the ECG's position in the whole dataset (default ``i``)."""
    meta = batch.meta[i]
    ident = ", ".join(f"{k}={meta[k]}" for k in ("seed", "index", "source") if k in meta)
    x = batch.signals[i].astype(np.float64)
    if batch.units == "mV":
        x = x * 1000.0
    ref = batch.leads.index("II") if "II" in batch.leads else 0
    swing = x.max(axis=1) - x.min(axis=1)
    widest = int(np.argmax(swing))
    flat = [batch.leads[j] for j in range(batch.n_leads) if swing[j] < 20.0]
    text = (f"ECG {i if number is None else number:>4} ({ident or 'no id'}): lead {batch.leads[ref]} {x[ref].min():+.0f}..{x[ref].max():+.0f} uV, "
            f"largest swing {batch.leads[widest]} {swing[widest]:.0f} uV")
    return text + (f", flat leads: {' '.join(flat)}" if flat else "")


class DatasetSummary:
    """Totals over batches: count, amplitude range (µV, all leads), NaN samples and a metadata
    summary (which keys, sexes, age range, models, sources). Feed batches with :meth:`add`."""

    def __init__(self) -> None:
        self.first: ECGBatch | None = None
        self.n = 0
        self.low, self.high = np.inf, -np.inf
        self.missing = 0
        self.keys: Counter = Counter()
        self.values = {"sex": Counter(), "model": Counter(), "source": Counter()}
        self.ages: list[float] = []
        self.shapes: Counter = Counter()  # (fs, n_samples, leads) -> ECGs

    def add(self, batch: ECGBatch) -> None:
        if self.first is None:
            self.first = batch[:0] if len(batch) else batch
        self.n += len(batch)
        self.shapes[(batch.fs, batch.n_samples, batch.leads)] += len(batch)
        x = batch.signals
        if np.issubdtype(x.dtype, np.floating):
            finite = np.isfinite(x)
            self.missing += int(x.size - np.count_nonzero(finite))
            x = x[finite]
        if x.size:
            scale = 1000.0 if batch.units == "mV" else 1.0
            self.low = min(self.low, float(x.min()) * scale)
            self.high = max(self.high, float(x.max()) * scale)
        for meta in batch.meta:
            self.keys.update(key for key, value in meta.items() if value not in (None, "", []))
            for key, counter in self.values.items():
                if meta.get(key) not in (None, ""):
                    counter[str(meta[key])] += 1
            try:
                self.ages.append(float(meta["age"]))
            except (KeyError, TypeError, ValueError):
                pass

    def lines(self, source=None) -> list[str]:
        """The header line (as :func:`describe_batch`), amplitudes and metadata."""
        if self.first is None:
            return [f"{source}: no ECGs"]
        if len(self.shapes) == 1:
            out = [describe_batch(self.first, source, n=self.n)]
        else:  # a record folder read record by record: say what varies
            rates = sorted({fs for fs, _, _ in self.shapes})
            seconds = [samples / fs for fs, samples, _ in self.shapes]
            lead_counts = sorted({len(leads) for _, _, leads in self.shapes})
            where = f"{source}: " if source is not None else ""
            out = [f"{where}{self.n} ECGs, {'/'.join(map(str, lead_counts))} leads, "
                   f"{min(seconds):.1f}-{max(seconds):.1f} s at {'/'.join(f'{r:g}' for r in rates)} Hz, "
                   f"{self.first.signals.dtype} {self.first.units} (records differ in length or rate)"]
        if self.low <= self.high:
            amp = f"amplitude {self.low:+.0f}..{self.high:+.0f} uV over all leads"
        else:
            amp = "amplitude: no finite samples"
        out.append(f"  {amp}" + (f", {self.missing} NaN/inf samples (gaps)" if self.missing else ""))
        keys = ", ".join(f"{key} {count}/{self.n}" for key, count in sorted(self.keys.items()))
        out.append(f"  metadata: {keys or 'none'}")
        details = []
        if self.ages:
            details.append(f"age {min(self.ages):g}..{max(self.ages):g}")
        for key in ("sex", "model"):
            if self.values[key]:
                details.append(f"{key} " + ", ".join(f"{v} {c}" for v, c in self.values[key].most_common(4)))
        sources = self.values["source"]
        if sources:
            shown = ", ".join(list(sources)[:3]) + (", ..." if len(sources) > 3 else "")
            details.append(f"sources {len(sources)} distinct ({shown})")
        if details:
            out.append("  " + "; ".join(details))
        return out
