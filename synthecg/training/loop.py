"""The WGAN-GP training loop (Gulrajani et al. 2017, as in the DeepFake-ECG paper).

Per generator step: ``n_critic`` critic steps, each on a new batch of real ECGs x, fakes
G(z) with z ~ U(-1, 1) of the generator's ``noise_shape``, and interpolates
x̂ = εx + (1-ε)G(z), ε ~ U(0, 1) per ECG:

    L_D = mean D(G(z)) - mean D(x) + λ mean (||∇x̂ D(x̂)||₂ - 1)²,

then one generator step on L_G = -mean D(G(z)). Adam(lr, betas) for both networks (the critic's
at ``critic_lr`` when given: TTUR). Real, fake and interpolated ECGs go through the critic in
one forward pass (the critic has no batch statistics, so this equals three passes) which keeps
DistributedDataParallel to one forward and one backward per step; the penalty's gradient is
taken with ``create_graph=True`` and differentiated again by the backward pass (double
backward through DDP, whose hooks only fire on the parameters' gradient accumulation in that
final backward).

With ``augment_shift`` > 0 every real and generated ECG is circularly shifted in time before
the critic sees it, in both steps (differentiable augmentation, :mod:`.augment`); x̂ then
interpolates the shifted ECGs.

Under ``torchrun`` each process holds ``batch_size / P`` ECGs of every global batch; gradients
are averaged by DDP, and every random draw depends on the global sample index
(:mod:`.randomness`), so P processes compute the step of one process up to float summation.
"""

from __future__ import annotations

import copy
import math
import os
import signal
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch

from ..errors import SynthECGError
from . import randomness as rnd
from .augment import max_shift, roll_each
from .config import TrainConfig
from .fidelity import FidelityProxy, fidelity_proxy, proxy_measurements
from .rundir import RunDir, best_score, load_state, save_state

HOLDOUT_MEASURED = 500  # at most this many held-out ECGs are measured for the fidelity proxy


@dataclass
class TrainResult:
    run_dir: Path
    step: int                      # generator steps completed
    steps: int                     # the run's target
    interrupted: str | None        # "SIGINT"/"SIGTERM" when stopped by a signal
    early_stopped: bool
    timed_out: bool                # stopped by config.time_limit
    best_score: float | None       # best fidelity proxy (lower is better), None if never measured
    best_step: int | None
    last: FidelityProxy | None
    skipped: list                  # (record id, reason) the data pipeline skipped
    seconds: float


# ---------------------------------------------------------------------------------------------
# Processes


@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    initialized_here: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0


def _init_distributed(device: torch.device) -> _Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist()
    import torch.distributed as dist

    here = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        here = True
    return _Dist(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")), here)


def _pick_device(config: TrainConfig) -> torch.device:
    if config.device:
        try:
            device = torch.device(config.device)
        except RuntimeError as exc:
            raise SynthECGError(f"device: {exc}") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise SynthECGError(f"device {config.device!r}: CUDA is not available here")
        if device.type == "cuda" and device.index is None and "LOCAL_RANK" in os.environ:
            device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        return device
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def _all_reduce(values: torch.Tensor, dist_info: _Dist, op: str = "mean") -> torch.Tensor:
    if dist_info.world == 1:
        return values
    import torch.distributed as dist

    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.MAX if op == "max" else dist.ReduceOp.SUM)
    return values / dist_info.world if op == "mean" else values


# ---------------------------------------------------------------------------------------------
# Data


def _adam(params, lr: float, betas) -> torch.optim.Optimizer:
    """Adam with the multi-tensor ("foreach") update, which torch uses by default on CUDA only:
    on CPU the default per-tensor loop took 42 ms of a 750 ms cpu-small step (the critic's 8 M
    parameters), foreach 17 ms, with updates equal to the loop's to the bit. (The fused kernel
    took 6 ms, but a resumed run then differed from an uninterrupted one in the last bits.)"""
    return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)


def _batches(dataset, batch_size: int, dist_info: _Dist, seed: int, start: int,
             num_workers: int, pin: bool) -> Iterator[tuple[int, torch.Tensor]]:
    """(epoch, this process's part of global batch k) for k = start, start+1, ... forever.

    A DistributedSampler (seed, epoch) orders every epoch; its drop_last keeps every global
    batch complete and, because P * floor(n / P) is cut in whole global batches, the global
    batch k is the same records for any process count P.
    """
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    local = batch_size // dist_info.world
    per_epoch = len(dataset) // batch_size
    epoch, position = divmod(start, per_epoch)
    while True:
        sampler = DistributedSampler(dataset, num_replicas=dist_info.world, rank=dist_info.rank,
                                     shuffle=True, seed=seed, drop_last=True)
        sampler.set_epoch(epoch)
        order = list(sampler)
        chunks = [order[i * local:(i + 1) * local] for i in range(per_epoch)][position:]
        # The loader's own generator: DataLoader otherwise draws worker seeds from torch's
        # global RNG, which SynthECG never touches.
        loader = DataLoader(dataset, batch_sampler=chunks, num_workers=num_workers,
                            pin_memory=pin, generator=torch.Generator().manual_seed(seed),
                            persistent_workers=False)
        for batch in loader:
            yield epoch, batch
        epoch, position = epoch + 1, 0


def _stack(dataset, limit: int) -> np.ndarray:
    n = min(len(dataset), limit)
    return np.stack([np.asarray(dataset[i], dtype=np.float32) for i in range(n)]) if n else \
        np.zeros((0,), np.float32)


def planned_steps(config: TrainConfig, n_train: int, n_skipped: int = 0) -> tuple[int, int]:
    """(generator steps to train, critic batches per epoch) for ``n_train`` training records.

    Fewer records than a batch is an error rather than a silently smaller batch: the batch
    size is part of the method (and of the run's identity), so the user decides.
    """
    if n_train == 0:
        raise SynthECGError(f"data {config.data.path}: no usable training records "
                            f"({n_skipped} skipped)")
    if n_train < config.batch_size:
        raise SynthECGError(f"data {config.data.path}: {n_train} training records, fewer than "
                            f"batch_size {config.batch_size}; lower --batch-size or add records")
    per_epoch = n_train // config.batch_size
    if config.steps is not None:
        return config.steps, per_epoch
    if config.epochs is not None:
        return max(1, math.ceil(config.epochs * per_epoch / config.n_critic)), per_epoch
    raise SynthECGError("training config: give steps (--steps) or epochs (--epochs)")


# ---------------------------------------------------------------------------------------------
# Signals


class _StopFlag:
    """SIGINT/SIGTERM set a flag; the loop checkpoints and returns at the end of the step.
    A second signal restores the default handlers (so a second Ctrl-C interrupts at once)."""

    def __init__(self):
        self.name: str | None = None
        self._old: dict[int, Any] = {}

    def _handler(self, signum, frame):
        self.name = signal.Signals(signum).name
        self.restore()

    @contextmanager
    def installed(self, enabled: bool):
        import threading

        if enabled and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        try:
            yield self
        finally:
            self.restore()

    def restore(self):
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


# ---------------------------------------------------------------------------------------------
# Models


def _build_models(config: TrainConfig):
    from ..models import Pulse2PulseCritic, Pulse2PulseGenerator, WaveGANCritic, WaveGANGenerator

    model_config = config.model_config()
    gen_cls, critic_cls = ((Pulse2PulseGenerator, Pulse2PulseCritic) if config.model == "pulse2pulse"
                           else (WaveGANGenerator, WaveGANCritic))
    # Initial weights from the seed alone; fork_rng leaves torch's global RNG as it was.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        generator = gen_cls(model_config)
        # The generator's config (saved with it) keeps the default; only the critic shuffles.
        critic = critic_cls(replace(model_config, shift_factor=config.phase_shuffle))
    return generator, critic


class _EMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        for avg, param in zip(self.model.parameters(), model.parameters()):
            avg.mul_(self.decay).add_(param.detach(), alpha=1.0 - self.decay)


def _cpu_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


# ---------------------------------------------------------------------------------------------
# The trainer


def train(config: TrainConfig, out: str | os.PathLike, resume: bool = False, data=None,
          progress: bool | None = None, handle_signals: bool = True,
          echo: Callable[[str], None] | None = None) -> TrainResult:
    """Train ``config.model`` on ``config.data`` into the run directory ``out``.

    ``data``: an already opened :class:`synthecg.data.TrainingData` (default: opened from
    ``config.data``). ``resume``: continue the run in ``out`` from ``checkpoints/state.pt`` with
    the same optimizer state and random streams (refused if ``out`` holds another model or
    config). SIGINT/SIGTERM write a checkpoint and return with ``result.interrupted`` set.
    Under ``torchrun`` every process calls this; rank 0 alone writes. ``echo``: called on
    rank 0 with one-line notes (the data summary, where a resumed run starts).
    """
    return _Trainer(config, Path(out), resume, data, progress, handle_signals, echo).run()


class _Trainer:
    def __init__(self, config, out, resume, data, progress, handle_signals, echo=None):
        self.config, self.resume, self.progress = config, resume, progress
        self.echo = echo
        self.handle_signals = handle_signals
        self.run_dir = RunDir(out)
        self.data = data
        self.started = time.perf_counter()

    # -- setup ------------------------------------------------------------------------------

    def run(self) -> TrainResult:
        config = self.config
        self.device = _pick_device(config)
        self.dist = _init_distributed(self.device)
        try:
            return self._run()
        finally:
            if self.dist.initialized_here:
                import torch.distributed as dist

                dist.destroy_process_group()

    def _barrier(self):
        if self.dist.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def _run(self) -> TrainResult:
        config, run_dir, dist_info = self.config, self.run_dir, self.dist
        if config.batch_size % dist_info.world:
            raise SynthECGError(f"batch_size {config.batch_size} is not divisible by the "
                                f"{dist_info.world} processes; it is the global batch")
        run_dir.prepare(config, self.resume)  # every rank checks, so every rank fails alike
        self._barrier()  # ... before rank 0 creates anything
        if self.data is None:
            from ..data import open_training_data

            self.data = open_training_data(config.data)
        data = self.data
        self.steps, self.per_epoch = planned_steps(config, len(data.train), len(data.skipped))

        state = None
        if self.resume and run_dir.state.is_file():
            state = load_state(run_dir.state, config)
            run_dir.check_same_records(data)  # every rank, so every rank fails alike
        self.start_step = int(state["step"]) if state else 0
        if dist_info.main and self.echo is not None:
            if hasattr(data, "summary"):
                self.echo(f"data: {data.summary()}")
            if state:
                self.echo(f"resuming {run_dir.root} at step {self.start_step} of {self.steps}")

        if dist_info.main:
            run_dir.checkpoints.mkdir(parents=True, exist_ok=True)
            run_dir.samples.mkdir(exist_ok=True)
            from .._files import remove_stale_temps

            for folder in (run_dir.root, run_dir.checkpoints, run_dir.samples):
                remove_stale_temps(folder)
            run_dir.write_config(config)
            if hasattr(data, "write_record_lists"):
                data.write_record_lists(run_dir.root)
        self._barrier()

        self._setup_models(state)
        self.best = best_score(state)
        self.best_step = int(state["best_step"]) if state and int(state["best_step"]) >= 0 else None
        self.stale_evals = int(state["stale_evals"]) if state else 0
        self.last_proxy: FidelityProxy | None = None
        self.holdout_measured = None
        if dist_info.main and config.eval_every and len(data.holdout):
            d = config.data
            self.holdout_measured = proxy_measurements(
                config.model_config().to_uv(_stack(data.holdout, HOLDOUT_MEASURED)), d.fs, d.leads)
        self.log = None
        if dist_info.main:
            from .metrics_log import MetricsLog

            self.log = MetricsLog(run_dir.metrics, run_dir.tensorboard, self.start_step)
        try:
            return self._loop()
        finally:
            if self.log is not None:
                self.log.close()

    def _setup_models(self, state):
        config, device = self.config, self.device
        generator, critic = _build_models(config)
        if state:
            generator.load_state_dict(state["generator"])
            critic.load_state_dict(state["critic"])
        generator.to(device).train()
        critic.to(device).train()
        self.generator, self.critic = generator, critic
        self.ema = None
        if config.ema:
            self.ema = _EMA(generator, config.ema)
            if state and state.get("ema"):
                self.ema.model.load_state_dict(state["ema"])
        self.opt_g = _adam(generator.parameters(), config.lr, config.betas)
        self.opt_d = _adam(critic.parameters(), config.critic_lr or config.lr, config.betas)
        if state:
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
        if self.dist.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            import inspect
            import warnings

            ids = [device.index] if device.type == "cuda" else None
            # The only buffers are constant (UpsampleConv1d's summing matrices): no syncing.
            sync = ({"forward_sync_buffers": False}
                    if "forward_sync_buffers" in inspect.signature(DDP).parameters
                    else {"broadcast_buffers": False})
            # The critic's (1, n) linear weight gets a (1, 1)-strided gradient: equal memory
            # order, but DDP warns about the stride of the size-1 axis on every run.
            warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
            self.generator_ddp = DDP(generator, device_ids=ids, **sync)
            self.critic_ddp = DDP(critic, device_ids=ids, **sync)
        else:
            self.generator_ddp, self.critic_ddp = generator, critic
        self.n_shuffles = len(critic.shuffles)
        self.shift_factor = critic.config.shift_factor
        self.max_shift = max_shift(self.config.augment_shift, int(self.config.data.length))

    def _autocast(self):
        if self.config.amp == "bf16" and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return nullcontext()

    # -- one generator step -------------------------------------------------------------------

    def _step(self, step: int, batches) -> dict[str, float]:
        config, device = self.config, self.device
        seed, world, rank = config.seed, self.dist.world, self.dist.rank
        local = config.batch_size // world
        idx = rnd.global_indices(local, rank, world)
        shape = tuple(self.generator.noise_shape)
        sums = torch.zeros(4, dtype=torch.float64)
        epoch = 0
        for c in range(config.n_critic):
            epoch, real = next(batches)
            real = real.to(device, dtype=torch.float32, non_blocking=True)
            z = rnd.noise(seed, step, rnd.CRITIC_NOISE, c, idx, shape).to(device)
            with torch.no_grad(), self._autocast():
                fake = self.generator(z).float().contiguous()
            if self.max_shift:
                real = roll_each(real, rnd.time_shifts(seed, step, rnd.CRITIC_AUGMENT, 2 * c, idx,
                                                       self.max_shift))
                fake = roll_each(fake, rnd.time_shifts(seed, step, rnd.CRITIC_AUGMENT, 2 * c + 1,
                                                       idx, self.max_shift))
            eps = rnd.epsilon(seed, step, c, idx).to(device)
            mixed = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
            shifts = torch.cat([rnd.shifts(seed, step, rnd.CRITIC_SHIFTS, 3 * c + part, idx,
                                           self.n_shuffles, self.shift_factor)
                                for part in range(3)], dim=1).to(device)
            with self._autocast():
                scores = self.critic_ddp(torch.cat([real, fake, mixed]), shifts=shifts).float()
            d_real, d_fake, d_mixed = scores.split(local)
            (grad,) = torch.autograd.grad(d_mixed.sum(), mixed, create_graph=True)
            penalty = ((grad.flatten(1).norm(2, dim=1) - 1.0) ** 2).mean()
            wasserstein = d_real.mean() - d_fake.mean()
            loss_d = -wasserstein + config.gp_lambda * penalty
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
            sums[:3] += torch.stack([loss_d.detach(), wasserstein.detach(), penalty.detach()]).double().cpu()

        z = rnd.noise(seed, step, rnd.GENERATOR_NOISE, 0, idx, shape).to(device)
        shifts = rnd.shifts(seed, step, rnd.GENERATOR_SHIFTS, 0, idx, self.n_shuffles,
                            self.shift_factor).to(device)
        with self._autocast():
            # The critic's own module, not its DDP wrapper: no critic gradients are wanted.
            fake = self.generator_ddp(z).float()
            if self.max_shift:
                fake = roll_each(fake, rnd.time_shifts(seed, step, rnd.GENERATOR_AUGMENT, 0, idx,
                                                       self.max_shift))
            loss_g = -self.critic(fake, shifts=shifts).float().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward(inputs=list(self.generator.parameters()))
        self.opt_g.step()
        if self.ema is not None:
            self.ema.update(self.generator)
        sums[:3] /= config.n_critic
        sums[3] = loss_g.detach().double().cpu()
        sums = _all_reduce(sums, self.dist)
        return {"epoch": epoch, "critic_loss": float(sums[0]), "wasserstein": float(sums[1]),
                "gradient_penalty": float(sums[2]), "generator_loss": float(sums[3])}

    # -- outputs --------------------------------------------------------------------------------

    def _output_generator(self) -> torch.nn.Module:
        return self.ema.model if self.ema is not None else self.generator

    @torch.no_grad()
    def _generate_uv(self, n: int) -> np.ndarray:
        """``n`` ECGs from the fixed evaluation noise, float µV (n, leads, samples)."""
        model = self._output_generator()
        was_training = model.training
        model.eval()
        shape = tuple(model.noise_shape)
        out = []
        for start in range(0, n, self.config.batch_size):
            idx = list(range(start, min(n, start + self.config.batch_size)))
            z = rnd.noise(self.config.seed, 0, rnd.EVAL_NOISE, 0, idx, shape).to(self.device)
            with self._autocast():
                out.append(model(z).float().cpu().numpy())
        model.train(was_training)
        return model.config.to_uv(np.concatenate(out))

    def _evaluate(self, step: int) -> dict[str, float]:
        d = self.config.data
        proxy = fidelity_proxy(self.holdout_measured, self._generate_uv(self.config.eval_samples),
                               d.fs, d.leads)
        self.last_proxy = proxy
        if proxy.score < self.best:
            self.best, self.best_step, self.stale_evals = proxy.score, step, 0
            self._save_generator(self.run_dir.best, step)
        else:
            self.stale_evals += 1
        return proxy.to_row()

    def _save_generator(self, path: Path, step: int) -> None:
        from ..models.loading import save_generator

        try:
            save_generator(self._output_generator(), path, overwrite=True,
                           extra={"training_step": step, "ema": float(self.config.ema)})
        except RuntimeError as exc:  # torch's zip writer on a short write (full disk)
            raise SynthECGError(f"{path}: could not write ({str(exc).splitlines()[0]}); "
                                "the previous file is intact") from exc

    def _sample_plot(self, step: int) -> None:
        from ..ecg import ECGBatch
        from ..plot import ecg_paper

        d = self.config.data
        batch = ECGBatch(signals=np.rint(self._generate_uv(1)).astype(np.int32), fs=d.fs,
                         leads=tuple(d.leads), units="uV",
                         meta=[{"model": f"{self.run_dir.root.name} step {step}",
                                "seed": self.config.seed, "index": 0}])
        ecg_paper(batch, self.run_dir.samples / f"step-{step:07d}.png", dpi=100, overwrite=True)

    def _checkpoint(self, step: int) -> None:
        state = {
            "step": step,
            "architecture": self.config.model,
            "model_config": self.config.model_config().to_dict(),
            "config": self.config.to_json(),
            "generator": _cpu_state(self.generator),
            "critic": _cpu_state(self.critic),
            "ema": _cpu_state(self.ema.model) if self.ema is not None else {},
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "best_score": float(self.best),
            "best_step": -1 if self.best_step is None else int(self.best_step),
            "stale_evals": int(self.stale_evals),
            "world_size": int(self.dist.world),
            # The random streams are counter-based: (seed, step) is the whole RNG state.
            "rng": {"seed": torch.tensor(self.config.seed, dtype=torch.int64),
                    "step": torch.tensor(step, dtype=torch.int64)},
        }
        save_state(self.run_dir.state, state)
        self._save_generator(self.run_dir.last, step)

    # -- the loop -------------------------------------------------------------------------------

    def _loop(self) -> TrainResult:
        from .._progress import progress_bar

        config, main = self.config, self.dist.main
        pin = self.device.type == "cuda"
        workers = config.num_workers if config.num_workers is not None else (2 if pin else 0)
        batches = _batches(self.data.train, config.batch_size, self.dist, config.seed,
                           self.start_step * config.n_critic, workers, pin)
        bar = progress_bar(self.steps, "training", unit="step",
                           enabled=(self.progress if self.progress is not None else None) if main else False)
        bar.n = bar.initial = min(self.start_step, self.steps)
        bar.refresh()
        stop, early, signalled, out_of_time = _StopFlag(), False, False, False
        step = self.start_step
        tick, tick_step = time.perf_counter(), step
        with stop.installed(self.handle_signals):
            while step < self.steps:
                values = self._step(step, batches)
                step += 1
                out_of_time = bool(config.time_limit) and \
                    time.perf_counter() - self.started >= 60.0 * config.time_limit
                if main:
                    now = time.perf_counter()
                    values["steps_per_s"] = (step - tick_step) / max(now - tick, 1e-9)
                    if self.holdout_measured is not None and config.eval_every and \
                            (step % config.eval_every == 0 or step == self.steps):
                        values.update(self._evaluate(step))
                        early = bool(config.patience and self.stale_evals >= config.patience)
                    if config.sample_every and step % config.sample_every == 0:
                        self._sample_plot(step)
                    if (config.log_every and step % config.log_every == 0) \
                            or "fidelity_proxy" in values or step == self.steps or out_of_time:
                        self.log.write(step, values)
                        tick, tick_step = time.perf_counter(), step
                    bar.update(1)
                    bar.set_postfix(critic=f"{values['critic_loss']:.3g}",
                                    gen=f"{values['generator_loss']:.3g}",
                                    W=f"{values['wasserstein']:.3g}", refresh=False)
                # Every process must stop at the same step: a signal may reach one process only.
                flags = _all_reduce(torch.tensor([float(stop.name is not None), float(early),
                                                  float(out_of_time)]), self.dist, op="max")
                signalled, early, out_of_time = bool(flags[0]), bool(flags[1]), bool(flags[2])
                stopping = signalled or early or out_of_time
                if stopping or step >= self.steps or \
                        (config.checkpoint_every and step % config.checkpoint_every == 0):
                    if main:
                        self._checkpoint(step)
                    self._barrier()
                if stopping:
                    break
        bar.close()
        return TrainResult(self.run_dir.root, step, self.steps,
                           (stop.name or "SIGTERM") if signalled else None, early, out_of_time,
                           None if math.isinf(self.best) else self.best, self.best_step,
                           self.last_proxy, list(getattr(self.data, "skipped", [])),
                           time.perf_counter() - self.started)
