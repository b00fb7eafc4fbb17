"""Seeded, batched ECG generation: in memory (:func:`generate`) or to shard files.

Reproducible by construction: ECG ``k`` of seed ``s`` is computed from noise drawn from
``rng_for(s, k)`` alone, and the generator always runs on rows padded to whole blocks of
:data:`BLOCK` aligned on global indices (oneDNN's convolution results depend on the batch
size, but not among multiples of 8), so the same (s, k) gives the same integers whatever
the batch size, shard size or number of processes on one device type.
"""

from __future__ import annotations

import contextlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from . import leads as leads_mod
from ._progress import progress_bar
from ._seeding import uniform_noise
from .ecg import ECGBatch
from .errors import SynthECGError

BLOCK = 8
DEFAULT_BATCH = {"cpu": 32, "cuda": 256}


@contextlib.contextmanager
def _torch_threads(n: int):
    """Temporarily set torch's intra-op thread count (it is process-wide)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The torch device to run on: the GPU when CUDA is present and none was asked for."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise SynthECGError(f"device: {device!r} is not a torch device (use cpu or cuda)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SynthECGError("device: cuda was asked for but no CUDA GPU is available; use --device cpu")
    return device


def check_count(n: int, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise SynthECGError(f"{name}: the number of ECGs must be a positive integer, got {n!r}")
    return int(n)


def check_leads(leads: int) -> int:
    if leads not in (8, 12):
        raise SynthECGError(f"leads: must be 8 (I, II, V1-V6) or 12, got {leads!r}")
    return leads


@dataclass
class Sampler:
    """Turns (seed, index range) into integer-µV ECGs with a loaded generator.

    ``model`` is a module from :func:`synthecg.models.load_generator`.
    """

    model: torch.nn.Module
    seed: int
    device: torch.device
    batch_size: int

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise SynthECGError(f"seed: must be a non-negative integer, got {self.seed!r}")
        if self.batch_size <= 0:
            raise SynthECGError(f"batch_size: must be positive, got {self.batch_size}")
        self.batch_size = math.ceil(self.batch_size / BLOCK) * BLOCK
        config = self.model.config
        if config.channels != len(leads_mod.INDEPENDENT_8):
            raise SynthECGError(f"model {self.model.source}: generates {config.channels} leads; "
                                "SynthECG's generation expects the 8 independent leads")
        self.fs = config.fs
        self.scale = float(config.scale_uv)
        # On CPU, one single-threaded forward pass per core beats one pass spread over all
        # cores (oneDNN's small convolutions scale poorly): +15-25 % here. Results are equal.
        self.workers = torch.get_num_threads() if self.device.type == "cpu" else 1

    def sample_uv(self, start: int, stop: int) -> np.ndarray:
        """ECGs ``start..stop-1`` as int16 µV, shape (stop - start, 8, length); leads I, II, V1-V6.

        Rounds like deepfake-ecg: the float32 output times the scale, truncated toward zero.
        """
        config = self.model.config
        out = np.empty((stop - start, config.channels, config.length), np.int16)
        end = math.ceil(stop / BLOCK) * BLOCK
        chunks = [(a, min(a + self.batch_size, end))
                  for a in range(start - start % BLOCK, end, self.batch_size)]

        def run(chunk: tuple[int, int]) -> None:
            a, b = chunk
            noise = torch.from_numpy(uniform_noise(self.seed, a, b, self.model.noise_shape))
            lo, hi = max(a, start), min(b, stop)
            with torch.inference_mode():
                uv = config.to_uv(self.model(noise.to(self.device))[lo - a:hi - a])
                low, high = torch.aminmax(uv)
                if not (low >= -32768 and high <= 32767):  # also catches NaN
                    raise SynthECGError(
                        f"model {self.model.source}: output outside the int16 µV range "
                        f"(±32767 µV) or not finite; check its scale_uv ({self.scale:g})")
                # The integer cast truncates toward zero, as deepfake-ecg's `.int()` does.
                out[lo - start:hi - start] = uv.to(torch.int16).cpu().numpy()

        workers = min(self.workers, len(chunks))
        if workers <= 1:
            for chunk in chunks:
                run(chunk)
        else:
            with _torch_threads(1), ThreadPoolExecutor(workers) as pool:
                list(pool.map(run, chunks))
        return out

    def dtype(self, leads: int) -> np.dtype:
        """int16, unless derived leads (up to twice the scale) may not fit: then int32."""
        fits = leads == 8 or 2 * self.scale <= np.iinfo(np.int16).max
        return np.dtype(np.int16 if fits else np.int32)

    def batch(self, start: int, stop: int, leads: int = 12) -> ECGBatch:
        """ECGs ``start..stop-1`` as an ECGBatch of integer µV (dtype: :meth:`dtype`)."""
        meta = [{"seed": int(self.seed), "index": k, "model": str(self.model.source)}
                for k in range(start, stop)]
        batch = ECGBatch(signals=self.sample_uv(start, stop), fs=self.fs,
                         leads=leads_mod.INDEPENDENT_8, units="uV", meta=meta)
        if leads == 12:
            batch = leads_mod.expand_to_12(batch)
        batch.signals = batch.signals.astype(self.dtype(leads), copy=False)
        return batch


def make_sampler(model, seed: int, batch_size: int | None, device) -> Sampler:
    """A :class:`Sampler` from a model name, path or loaded module."""
    from .models import load_generator

    device = resolve_device(device)
    if isinstance(model, torch.nn.Module):
        module = model.to(device).eval()
        if not hasattr(module, "source"):
            module.source = type(module).__name__
    else:
        module = load_generator(model, device=device)
    if batch_size is None:
        batch_size = DEFAULT_BATCH.get(device.type, 32)
    return Sampler(module, seed, device, batch_size)


def generate(n: int, seed: int = 0, model="pulse2pulse-deepfake", leads: int = 12,
             batch_size: int | None = None, device=None, progress: bool | None = False) -> ECGBatch:
    """Generate ``n`` synthetic 10-s ECGs in memory.

    Parameters
    ----------
    n : number of ECGs.
    seed : ECG ``k`` depends only on (seed, k): ``generate(1000, seed=3)[:100]`` equals
        ``generate(100, seed=3)`` exactly.
    model : ``"pulse2pulse-deepfake"`` (the published DeepFake-ECG generator), a checkpoint path
        or run directory, or a generator module.
    leads : 12 (I, II, III, aVR, aVL, aVF, V1-V6) or 8 (I, II, V1-V6).
    batch_size : ECGs per forward pass (rounded up to a multiple of 8); speed only.
    device : "cpu", "cuda", ...; default the GPU when CUDA is present.
    progress : show a progress bar on stderr (None: only when stderr is a terminal).

    Returns
    -------
    ECGBatch with signals (n, leads, 5000) int16 in µV at 500 Hz and meta
    ``{"seed", "index", "model"}`` per ECG.
    """
    n = check_count(n)
    leads = check_leads(leads)
    sampler = make_sampler(model, seed, batch_size, device)
    parts = []
    with progress_bar(n, "generating", unit="ECG", enabled=progress) as bar:
        for start in range(0, n, sampler.batch_size):
            stop = min(start + sampler.batch_size, n)
            parts.append(sampler.batch(start, stop, leads))
            bar.update(stop - start)
    return ECGBatch.concat(parts)


# --- generation folders: shards + manifest, resumable, torchrun-aware ---------------------------

@dataclass
class FolderResult:
    """What :func:`generate_to_folder` did."""

    folder: "Path"
    manifest: dict
    written: int  # shards written by this process in this call
    skipped: int  # shards found complete (resumed run) by this process

    @property
    def n_bytes(self) -> int:
        return sum((self.folder / s["file"]).stat().st_size for s in self.manifest["shards"])


def _distributed_env() -> tuple[int, int, int]:
    import os

    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


def _check_shard_size(shard_size: int) -> int:
    if isinstance(shard_size, bool) or not isinstance(shard_size, (int, np.integer)) or shard_size <= 0:
        raise SynthECGError(f"shard_size: must be a positive integer, got {shard_size!r}")
    return int(shard_size)


def _run_identity(sampler: Sampler, n: int, leads: int, file_format: str, shard_size: int,
                  hdf5_compression: str = "none") -> dict:
    from . import __version__
    from .io.manifest import MANIFEST_FORMAT

    config = sampler.model.config
    return {
        "format": MANIFEST_FORMAT,
        "synthecg_version": __version__,
        "model": str(sampler.model.source),
        "weights_sha256": sampler.model.weights_sha256,
        "seed": int(sampler.seed),
        "n": n,
        "fs": float(config.fs),
        "length": int(config.length),
        "leads": list(leads_mod.STANDARD_12 if leads == 12 else leads_mod.INDEPENDENT_8),
        "units": "uV",
        "file_format": file_format,
        "shard_size": shard_size,
        # only HDF5 shards have a layout choice; other manifests stay as they were
        **({"hdf5_compression": hdf5_compression} if file_format == "hdf5" else {}),
    }


def _check_existing(folder, identity: dict) -> None:
    """Refuse a folder that holds another generation (never mix runs)."""
    from .io.manifest import MANIFEST_NAME, read_manifest

    if folder.exists() and not folder.is_dir():
        raise SynthECGError(f"--out {folder}: is a file, expected a folder")
    if not (folder / MANIFEST_NAME).exists():
        return
    existing = read_manifest(folder)
    differences = [f"{key} {existing.get(key)!r} vs {value!r}" for key, value in identity.items()
                   if existing.get(key) != value]
    if differences:
        raise SynthECGError(f"--out {folder}: holds another generation ({'; '.join(differences[:3])}); "
                            "use another folder, or delete it to start over")


def generate_to_folder(out, n: int, seed: int = 0, model="pulse2pulse-deepfake", leads: int = 12,
                       file_format: str = "npy", shard_size: int = 1000,
                       batch_size: int | None = None, device=None,
                       progress: bool | None = False,
                       hdf5_compression: str = "none") -> FolderResult:
    """Generate ``n`` ECGs into folder ``out`` as shards of ``shard_size`` plus ``manifest.json``.

    Shards are written atomically. Running the same call again after an interruption (Ctrl-C,
    kill -9, full disk) skips complete shards; the final files are byte-identical to an
    uninterrupted run. Under ``torchrun`` each rank writes every WORLD_SIZE-th shard and rank 0
    the manifest; the output is byte-identical to a single process. Memory stays bounded by
    one shard (about ``shard_size`` x 120 kB for 12 leads). HDF5 shards are uncompressed
    and contiguous by default (data meant for training: about 15x faster to read than gzip,
    see ``synthecg/io/hdf5.py``); ``hdf5_compression="gzip"`` or ``"lzf"`` halves their size.
    """
    from pathlib import Path

    from . import io as ecg_io
    from ._files import remove_stale_temps
    from .io.manifest import sha256_file, shard_name, write_manifest

    folder = Path(out)
    n, leads = check_count(n), check_leads(leads)
    shard_size = _check_shard_size(shard_size)
    file_format = ecg_io.format_for(folder, file_format)
    rank, world, local_rank = _distributed_env()
    dist = None
    if world > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group(backend="gloo")
        if device is None and torch.cuda.is_available():
            device = f"cuda:{local_rank}"
    try:
        sampler = make_sampler(model, seed, batch_size, device)
        from .io.hdf5 import check_compression

        hdf5_compression = check_compression(hdf5_compression)
        identity = _run_identity(sampler, n, leads, file_format, shard_size, hdf5_compression)
        _check_existing(folder, identity)  # every rank checks, so every rank fails alike
        if rank == 0:
            folder.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(folder)
            if not (folder / "manifest.json").exists():
                write_manifest(folder, {**identity, "complete": False, "shards": []})
        if dist is not None:
            dist.barrier()

        n_shards = math.ceil(n / shard_size)
        mine = [i for i in range(n_shards) if i % world == rank]
        written = skipped = 0
        total = sum(min(shard_size, n - i * shard_size) for i in mine)
        with progress_bar(total, "generating", unit="ECG", enabled=progress if rank == 0 else False) as bar:
            for i in mine:
                start, stop = i * shard_size, min((i + 1) * shard_size, n)
                path = folder / shard_name(i, file_format)
                if path.is_file():
                    skipped += 1
                else:
                    _write_shard(sampler, start, stop, leads, path, file_format, hdf5_compression)
                    written += 1
                bar.update(stop - start)
        if dist is not None:
            dist.barrier()

        shards = [{"file": shard_name(i, file_format), "start": i * shard_size,
                   "stop": min((i + 1) * shard_size, n)} for i in range(n_shards)]
        manifest = {**identity, "complete": True, "shards": shards}
        if rank == 0:
            for shard in shards:
                shard["sha256"] = sha256_file(folder / shard["file"])
            write_manifest(folder, manifest)
        if dist is not None:
            dist.barrier()
        if rank != 0:
            from .io.manifest import read_manifest

            manifest = read_manifest(folder)
        return FolderResult(folder, manifest, written, skipped)
    finally:
        if dist is not None and dist.is_initialized():
            dist.destroy_process_group()


def _write_shard(sampler: Sampler, start: int, stop: int, leads: int, path, file_format: str,
                 hdf5_compression: str = "none") -> None:
    """ECGs start..stop-1 into one shard file. NPY shards are streamed: each block goes to disk
    in a background thread while the next one is computed."""
    from . import io as ecg_io
    from .io.numpy_files import NpyWriter

    try:
        if file_format != "npy":
            ecg_io.write(sampler.batch(start, stop, leads), path, format=file_format,
                         compression=hdf5_compression if file_format == "hdf5" else None)
            return
        step = 4 * sampler.batch_size * max(1, sampler.workers)  # amortise per-call set-up
        shape = (stop - start, leads, sampler.model.config.length)
        with NpyWriter(path, shape, sampler.dtype(leads)) as writer, ThreadPoolExecutor(1) as disk:
            pending = None
            for a in range(start, stop, step):
                signals = sampler.batch(a, min(a + step, stop), leads).signals
                if pending is not None:
                    pending.result()
                pending = disk.submit(writer.write, signals)
            pending.result()
    except SynthECGError as exc:
        raise SynthECGError(f"{exc}; earlier shards are intact, free the space or fix the cause "
                            "and run the same command again to resume") from exc
