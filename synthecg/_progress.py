"""Progress bars, written once: quiet when asked, or when stderr is not a terminal."""

from __future__ import annotations

import sys


def progress_bar(total: int, desc: str, unit: str = "it", enabled: bool | None = True):
    """A tqdm bar on stderr; ``enabled=None`` means "only when stderr is a terminal"."""
    from tqdm.auto import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, dynamic_ncols=True,
                leave=False, file=sys.stderr)
