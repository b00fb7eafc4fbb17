"""PhysioNet/CinC challenge records: a WFDB ``.hea`` header plus a MATLAB v4 ``.mat`` file
holding ``val``, an int16 array (n_leads, n_samples) of digital samples.

CinC 2020 header gains: the 2020 release's PTB-XL (``HR*``) headers say 200 adu/mV and its
Georgia (``E*``) headers 4880 adu/mV, but both hold 1000 adu/mV data (the README of
``cinc2020-samples`` documents it; taking the header at its word gives amplitudes 5x too large
or 4.9x too small). Rule: a ``.mat`` record whose header gain is 200 or 4880 adu/mV is read at
1000 adu/mV, with a warning. Every other gain (1000 in CPSC, and everywhere in CinC 2021) is
applied as written.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..ecg import ECGBatch
from ..errors import SynthECGError
from .header import check_checksums, meta_from_comments, parse_header
from .wfdb import digital_to_batch

KNOWN_WRONG_GAINS = (200.0, 4880.0)
CORRECT_GAIN = 1000.0


def is_mat_record(hea: Path) -> bool:
    """True if the header's signals live in a ``.mat`` file (the CinC layout)."""
    try:
        with open(hea, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    lines = [line for line in head.split(b"\n") if line.strip() and not line.startswith(b"#")]
    return len(lines) > 1 and lines[1].split(b" ")[0].lower().endswith(b".mat")


def read_cinc(path: Path) -> ECGBatch:
    """One CinC record (``.hea`` or ``.mat`` path) as a batch of one ECG."""
    import scipy.io

    hea, mat = Path(path).with_suffix(".hea"), Path(path).with_suffix(".mat")
    header = parse_header(hea)
    try:
        val = scipy.io.loadmat(str(mat))["val"]
    except FileNotFoundError:
        raise SynthECGError(f"{mat}: signal file not found (needed by {hea.name})") from None
    except Exception as exc:  # scipy.io raises ValueError, TypeError, OSError, KeyError...
        raise SynthECGError(f"{mat}: unreadable MATLAB file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(val, np.ndarray) or val.ndim != 2 or not np.issubdtype(val.dtype, np.number):
        raise SynthECGError(f"{mat}: 'val' is not a 2-D numeric array")
    expected = (len(header.signals), header.n_samples)
    if val.shape != expected:
        raise SynthECGError(f"{mat}: 'val' has shape {val.shape}, header {hea.name} says {expected}")
    if not np.issubdtype(val.dtype, np.integer):
        if not np.all(np.isfinite(val)) or np.any(val != np.rint(val)):
            raise SynthECGError(f"{mat}: 'val' holds non-integer or non-finite samples")
        val = val.astype(np.int64)
    check_checksums(val, [s.checksum for s in header.signals], mat)
    gains = [s.gain for s in header.signals]
    wrong = sorted({g for g in gains if g in KNOWN_WRONG_GAINS})
    if wrong:
        warnings.warn(f"{hea}: header gain {', '.join(f'{g:g}' for g in wrong)} adu/mV is a known "
                      f"CinC 2020 header error; reading at {CORRECT_GAIN:g} adu/mV", stacklevel=3)
        gains = [CORRECT_GAIN if g in KNOWN_WRONG_GAINS else g for g in gains]
    meta, units_hint = meta_from_comments(header.comments)
    meta.setdefault("source", str(hea))
    return digital_to_batch(val, gains, [s.baseline for s in header.signals],
                            [s.units for s in header.signals], [s.name for s in header.signals],
                            header.fs, meta, units_hint, hea)
