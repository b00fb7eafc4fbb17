"""Training metrics to ``metrics.csv`` and TensorBoard (rank 0 only).

The CSV has a fixed header; a row is appended and flushed per logged step (a log, so appended
rather than rewritten; at most the row being written can be lost). On resume the rows after
the checkpoint's step are dropped (rewritten atomically) and TensorBoard is told to purge them,
so a resumed run's logs read like an uninterrupted run's.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from .._files import write_bytes
from .fidelity import QUANTITIES

COLUMNS = ("step", "epoch", "critic_loss", "generator_loss", "wasserstein", "gradient_penalty",
           "steps_per_s", "fidelity_proxy", "unmeasurable_fraction",
           *(f"w1_{name}" for name in QUANTITIES))


class MetricsLog:
    def __init__(self, csv_path: Path, tensorboard_dir: Path, start_step: int):
        self.csv_path = csv_path
        if csv_path.is_file():  # a resumed run (or one restarted before its first checkpoint)
            self._truncate(start_step)
        new = not csv_path.is_file()
        self._fh = open(csv_path, "a", newline="")
        self._csv = csv.DictWriter(self._fh, fieldnames=COLUMNS, restval="")
        if new:
            self._csv.writeheader()
            self._fh.flush()
        from torch.utils.tensorboard import SummaryWriter

        self._tb = SummaryWriter(str(tensorboard_dir), purge_step=start_step + 1)

    def _truncate(self, start_step: int) -> None:
        with open(self.csv_path, newline="") as fh:
            rows = [row for row in csv.DictReader(fh) if int(row["step"]) <= start_step]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(rows)
        write_bytes(self.csv_path, out.getvalue().encode(), overwrite=True)

    def write(self, step: int, values: dict[str, float]) -> None:
        row = {"step": step}
        for key, value in values.items():
            if key not in COLUMNS:
                continue
            row[key] = "" if value is None or (isinstance(value, float) and math.isnan(value)) \
                else f"{value:.6g}"
            if key not in ("step", "epoch") and value is not None:
                group = "fidelity" if key.startswith(("w1_", "fidelity", "unmeasurable")) else "train"
                self._tb.add_scalar(f"{group}/{key}", value, step)
        self._csv.writerow(row)
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
        self._tb.close()
