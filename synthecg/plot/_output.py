"""Saving figures: PNG or (multi-page) PDF, atomically, refusing to overwrite unless asked."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .._files import atomic_path
from ..errors import SynthECGError

PLOT_FORMATS = ("png", "pdf")


def plot_format(path: Path) -> str:
    """``"png"`` or ``"pdf"`` from the suffix of ``path``; anything else is a SynthECGError."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in PLOT_FORMATS:
        raise SynthECGError(f"{path}: plots are written as .png or .pdf, "
                            f"not {path.suffix or '(no suffix)'!r}")
    return kind


def check_target(path: str | os.PathLike, overwrite: bool) -> tuple[Path, str]:
    """Validate an output path before any drawing work: suffix, folder, existing file."""
    path = Path(path)
    kind = plot_format(path)
    if not path.parent.is_dir():
        raise SynthECGError(f"{path}: folder {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise SynthECGError(f"{path}: already exists; pass overwrite=True (--overwrite) to replace it")
    return path, kind


def save_figures(figures: Iterable, path: Path, kind: str, dpi: float, overwrite: bool) -> int:
    """Write ``figures`` (an iterable, drawn lazily one page at a time) to ``path``.

    PNG takes exactly one figure; PDF takes one page per figure. Returns the page count; none,
    or more than one for a PNG, is a SynthECGError and leaves no file.
    """
    pages = 0
    with atomic_path(path, overwrite=overwrite) as tmp:
        if kind == "pdf":
            from matplotlib.backends.backend_pdf import PdfPages

            # No creation date: the same ECGs give the same bytes.
            with PdfPages(tmp, metadata={"Creator": "synthecg", "CreationDate": None}) as pdf:
                for figure in figures:
                    pdf.savefig(figure)
                    pages += 1
        else:
            for figure in figures:
                if pages:
                    raise SynthECGError(f"{path}: a PNG holds one ECG but several were given; "
                                        "choose one (--index K) or write a .pdf (one page per ECG)")
                figure.savefig(tmp, format="png", dpi=dpi, metadata={"Software": "synthecg"})
                pages += 1
        if not pages:
            raise SynthECGError(f"{path}: no ECGs to plot")
    return pages
