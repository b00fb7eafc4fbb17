"""Generation folders: shard files plus a ``manifest.json`` that describes them.

The manifest records the model (and its weights' sha256), seed, n, fs, leads, units, the
package version, and every shard with its ECG index range [start, stop) and sha256. It holds
no timestamps, so an interrupted-and-resumed run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .._files import read_json_document, sha256_file, write_bytes
from ..ecg import ECGBatch
from ..errors import SynthECGError

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "synthecg.generation"
SHARD_SUFFIX = {"npy": ".npy", "npz": ".npz", "hdf5": ".h5"}


def shard_name(index: int, file_format: str) -> str:
    return f"ecgs-{index:05d}{SHARD_SUFFIX[file_format]}"


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = Path(folder) / MANIFEST_NAME
    write_bytes(path, manifest_bytes(manifest), overwrite=True)
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    return read_json_document(Path(folder) / MANIFEST_NAME, "SynthECG generation manifest",
                              "not found; not a SynthECG generation folder", MANIFEST_FORMAT)


def iter_manifest(folder: Path, verify: bool = True) -> Iterator[ECGBatch]:
    """The shards of a complete generation folder, in index order, one ECGBatch each."""
    from . import read_file

    folder = Path(folder)
    manifest = read_manifest(folder)
    if not manifest.get("complete"):
        raise SynthECGError(f"{folder}: generation is incomplete; run the same generate command "
                            "again to finish it")
    for shard in manifest["shards"]:
        path = folder / shard["file"]
        if not path.is_file():
            raise SynthECGError(f"{path}: shard listed in {MANIFEST_NAME} is missing")
        if verify and sha256_file(path) != shard["sha256"]:
            raise SynthECGError(f"{path}: sha256 differs from {MANIFEST_NAME}; the shard is damaged")
        batch = read_file(path, fs=manifest["fs"], leads=manifest["leads"])
        expected = shard["stop"] - shard["start"]
        if len(batch) != expected:
            raise SynthECGError(f"{path}: holds {len(batch)} ECGs, manifest says {expected}")
        if not any(batch.meta):
            batch.meta = [{"seed": manifest["seed"], "index": k, "model": manifest["model"]}
                          for k in range(shard["start"], shard["stop"])]
        yield batch


def read_manifest_folder(folder: Path, verify: bool = True) -> ECGBatch:
    return ECGBatch.concat(list(iter_manifest(folder, verify=verify)))
