"""File helpers written once: atomic writes (a temporary file in the same folder, then a
rename) and checksums.

Every writer in SynthECG (shards, manifests, checkpoints, reports, format writers) goes through
:func:`atomic_path`, so a crash, a kill -9 or a full disk never leaves a half-written file under
the final name, and files written earlier stay intact.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Iterator

from .errors import SynthECGError

_TMP_PATTERN = re.compile(r"^\..+\.tmp-\d+$")


def temp_name(path: Path) -> Path:
    """The temporary file that :func:`atomic_path` writes before renaming it to ``path``."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def is_temp_name(name: str) -> bool:
    """True for a leftover temporary file of an interrupted atomic write."""
    return bool(_TMP_PATTERN.match(name))


def remove_stale_temps(folder: Path) -> int:
    """Delete leftover temporary files of interrupted writes in ``folder``; returns how many."""
    removed = 0
    for entry in Path(folder).iterdir():
        if is_temp_name(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed to ``path``.

    Raises SynthECGError if ``path`` exists and ``overwrite`` is false, or if writing fails
    (disk full, permissions); the temporary file is removed in every failure case.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise SynthECGError(f"{path}: already exists; pass overwrite=True (--overwrite) to replace it")
    if path.is_dir():
        raise SynthECGError(f"{path}: is a directory, expected a file path")
    tmp = temp_name(path)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        raise SynthECGError(f"{path}: could not write ({reason}); nothing was left half-written") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes, overwrite: bool = False) -> None:
    """Atomically write ``data`` to ``path``."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json_document(path: str | os.PathLike, kind: str, missing: str, format_name: str) -> dict:
    """A JSON object SynthECG wrote (its ``"format"`` field is ``format_name``), or a one-line
    SynthECGError naming the file: ``"{path}: {missing}"`` when it does not exist, unreadable
    (with the parser's reason), or ``"not a {kind}"``."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise SynthECGError(f"{path}: {missing}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SynthECGError(f"{path}: unreadable {kind} ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != format_name:
        raise SynthECGError(f"{path}: not a {kind}")
    return document
