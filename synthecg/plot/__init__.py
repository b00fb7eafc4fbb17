"""ECGs drawn the way a cardiograph prints them, and real-vs-synthetic median-beat overlays.

- :func:`ecg_paper` / :func:`paper_figure`: 25 mm/s, 10 mm/mV on a true-scale pink grid
  (landscape A4 or Letter), 3x4 layout plus a 10-s lead II rhythm strip; a batch becomes a
  multi-page PDF.
- :func:`overlay` / :func:`overlay_figure`: median beats per lead, real vs synthetic.

``*_figure`` functions build matplotlib Figures (for inspection and tests); the others save them
atomically. matplotlib is imported inside the functions, so ``import synthecg`` stays light.
"""

from .overlay import overlay, overlay_figure
from .paper import PAPER_SIZES_MM, ecg_paper, paper_figure

__all__ = ["ecg_paper", "paper_figure", "overlay", "overlay_figure", "PAPER_SIZES_MM"]
