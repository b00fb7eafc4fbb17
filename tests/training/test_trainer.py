"""The WGAN-GP trainer on tiny models (model_size 5, 5-s ECGs) and an in-memory dataset."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from synthecg import SynthECGError
from synthecg.models import load_generator
from synthecg.training import resolve_config, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _memory_data import MemoryData  # noqa: E402

WORKER = Path(__file__).resolve().parent / "_ddp_worker.py"
ROOT = Path(__file__).resolve().parents[2]


def tiny(**overrides):
    values = dict(model="wavegan", model_size=5, steps=3, batch_size=2, n_critic=1, data_path="memory",
                  data_length=2500, eval_every=0, sample_every=0, checkpoint_every=0, log_every=1)
    return resolve_config(**{**values, **overrides})


def state(run) -> dict:
    return torch.load(Path(run) / "checkpoints" / "state.pt", map_location="cpu", weights_only=True)


def assert_tensors_equal(a, b, path=""):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_tensors_equal(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b)):
            assert_tensors_equal(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def p2p(**overrides):
    """The configuration of the pulse2pulse_run fixture."""
    return tiny(**{**dict(model="pulse2pulse", eval_every=1, sample_every=2, eval_samples=6, ema=0.5),
                   **overrides})


@pytest.fixture(scope="module")
def data():
    return MemoryData()


@pytest.fixture(scope="module")
def pulse2pulse_run(tmp_path_factory, data):
    out = tmp_path_factory.mktemp("p2p") / "run"
    config = p2p(steps=2)
    return out, train(config, out, data=data, progress=False)


def test_run_directory_holds_everything(pulse2pulse_run):
    out, result = pulse2pulse_run
    assert result.step == 2 and result.interrupted is None and result.best_step in (1, 2)
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"config.json", "records.json", "metrics.csv", "checkpoints/last.pt", "checkpoints/best.pt",
            "checkpoints/state.pt", "samples/step-0000002.png"} <= names
    assert any(name.startswith("tensorboard/events.out.tfevents") for name in names)
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [int(r["step"]) for r in rows] == [1, 2]
    for row in rows:  # every logged quantity is a finite number, the proxy included
        for key in ("critic_loss", "generator_loss", "wasserstein", "gradient_penalty", "fidelity_proxy"):
            assert np.isfinite(float(row[key])), key
    assert min(float(r["fidelity_proxy"]) for r in rows) == pytest.approx(result.best_score, rel=1e-5)


def test_checkpoints_load_as_generators_and_state_is_weights_only(pulse2pulse_run):
    out, _ = pulse2pulse_run
    model = load_generator(out)  # best.pt
    assert type(model).__name__ == "Pulse2PulseGenerator" and model.config.model_size == 5
    ecg = model(torch.rand(2, *model.noise_shape) * 2 - 1)
    assert ecg.shape == (2, 8, 2500) and float(ecg.abs().max()) <= 1.0
    last = torch.load(out / "checkpoints" / "last.pt", weights_only=True)
    s = state(out)  # weights_only=True: no pickled objects anywhere
    assert s["step"] == 2 and set(s) >= {"critic", "opt_g", "opt_d", "ema", "rng"}
    # EMA on: the saved generator is the average, not the raw weights of the state.
    for key, value in last["generator"].items():
        assert torch.equal(value, s["ema"][key])
    assert any(not torch.equal(last["generator"][k], s["generator"][k]) for k in s["generator"])


def test_generate_cli_uses_the_run_directory(pulse2pulse_run, tmp_path):
    from synthecg.cli import main
    import synthecg.io as ecg_io

    out, _ = pulse2pulse_run
    assert main(["generate", "--model", str(out), "-n", "3", "--out", str(tmp_path / "gen"), "--quiet"]) == 0
    batch = ecg_io.read(tmp_path / "gen")
    assert batch.signals.shape == (3, 12, 2500) and np.abs(batch.signals).max() > 0


def test_resume_equals_uninterrupted_run(tmp_path):
    """2 steps in one go == 1 step, stop, resume: bit-equal weights, optimizer state and logs.
    With 2 records and batch 2, an epoch is one batch, so the resumed step starts epoch 1."""
    data = MemoryData(n_train=2, n_holdout=0)
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    settings = dict(ema=0.9, augment_shift=0.1)  # every random stream in play
    train(tiny(steps=None, epochs=2, **settings), whole, data=data, progress=False)
    train(tiny(steps=1, **settings), parts, data=data, progress=False)
    assert state(parts)["step"] == 1
    result = train(tiny(steps=None, epochs=2, **settings), parts, resume=True, data=data, progress=False)
    assert result.step == 2
    a, b = state(whole), state(parts)
    for key in ("generator", "critic", "ema", "opt_g", "opt_d", "rng", "step"):
        assert_tensors_equal(a[key], b[key], key)
    rows = lambda run: list(csv.DictReader(open(run / "metrics.csv")))  # noqa: E731
    drop = lambda r: {k: v for k, v in r.items() if k != "steps_per_s"}  # noqa: E731
    assert [drop(r) for r in rows(whole)] == [drop(r) for r in rows(parts)]
    assert [int(r["epoch"]) for r in rows(parts)] == [0, 1]


def test_critic_lr_sets_the_critics_step_and_lr_the_generators(tmp_path):
    """Adam's first step moves every parameter with a non-zero gradient by its learning rate
    (m / sqrt(v) = ±1), so after one step the largest change of each network is its rate."""
    from synthecg.training.loop import _build_models

    config = tiny(steps=1, lr=1e-4, critic_lr=4e-4)
    generator, critic = _build_models(config)
    train(config, tmp_path / "run", data=MemoryData(n_train=2, n_holdout=0), progress=False)
    after = state(tmp_path / "run")
    for name, before, rate in (("critic", critic, 4e-4), ("generator", generator, 1e-4)):
        moved = max(float((after[name][k] - v).abs().max()) for k, v in before.state_dict().items()
                    if v.is_floating_point() and k in after[name])
        assert moved == pytest.approx(rate, rel=1e-3), name


def test_phase_shuffle_is_the_critics_alone_and_changes_its_training(tmp_path):
    from synthecg.training.loop import _build_models

    generator, critic = _build_models(tiny(phase_shuffle=0))
    assert critic.config.shift_factor == 0 and len(critic.shuffles) > 0
    assert generator.config.shift_factor == 2  # the saved generator's config is the paper's
    runs = {}
    for shuffle in (0, 2):
        train(tiny(steps=2, phase_shuffle=shuffle), tmp_path / str(shuffle),
              data=MemoryData(n_train=4, n_holdout=0), progress=False)
        runs[shuffle] = state(tmp_path / str(shuffle))
    assert '"phase_shuffle": 0' in (tmp_path / "0" / "config.json").read_text()
    differ = [k for k, v in runs[0]["critic"].items() if not torch.equal(v, runs[2]["critic"][k])]
    assert differ, "phase_shuffle did not reach the critic's training step"


def test_the_trained_generator_carries_the_datas_amplitude_coding(tmp_path):
    out = tmp_path / "run"
    train(tiny(steps=1, data_scale_uv=2000, data_mu_law=40), out, data=MemoryData(), progress=False)
    config = load_generator(out).config
    assert (config.scale_uv, config.mu_law) == (2000.0, 40.0)  # so generation decodes it


def test_resume_with_another_model_or_config_is_refused(pulse2pulse_run, data):
    out, _ = pulse2pulse_run
    before = (out / "checkpoints" / "state.pt").read_bytes()
    with pytest.raises(SynthECGError, match="already holds a training run"):
        train(p2p(steps=3), out, data=data, progress=False)
    for other, named in ((p2p(steps=3, model_size=6), r"\(model_size 5 -> 6\)"),
                         (p2p(steps=3, model="wavegan"), r"\(model 'pulse2pulse' -> 'wavegan'\)"),
                         (p2p(steps=3, lr=2e-4), r"\(lr 0.0001 -> 0.0002\)"),
                         (p2p(steps=3, critic_lr=4e-4), r"\(critic_lr None -> 0.0004\)"),
                         (p2p(steps=3, phase_shuffle=0), r"\(phase_shuffle 2 -> 0\)"),
                         (p2p(steps=3, data_mu_law=40), r"\(data.mu_law 0.0 -> 40.0\)")):
        with pytest.raises(SynthECGError, match=named) as info:
            train(other, out, resume=True, data=data, progress=False)
        assert "\n" not in str(info.value) and "--resume" in str(info.value)
    more = MemoryData(n_train=13)  # a record added to the data since the run started
    more.train_ids[-1] = "added-record"
    with pytest.raises(SynthECGError, match="data changed .* 1 record.s. added"):
        train(p2p(steps=3), out, resume=True, data=more, progress=False)
    assert (out / "checkpoints" / "state.pt").read_bytes() == before


def test_too_few_records_for_a_batch_is_an_error(tmp_path):
    with pytest.raises(SynthECGError, match="3 training records, fewer than batch_size 4"):
        train(tiny(batch_size=4), tmp_path / "run", data=MemoryData(n_train=3, n_holdout=1),
              progress=False)
    empty = MemoryData(n_train=0, n_holdout=0)
    with pytest.raises(SynthECGError, match="no usable training records"):
        train(tiny(), tmp_path / "run2", data=empty, progress=False)


def test_epochs_become_steps():
    from synthecg.training.loop import planned_steps

    # 13 records, batch 4 -> 3 critic batches per epoch; 2 epochs at 5 critic steps a step -> 2 steps.
    assert planned_steps(tiny(steps=None, epochs=2, batch_size=4, n_critic=5), 13) == (2, 3)
    assert planned_steps(tiny(steps=7, batch_size=4), 13) == (7, 3)
    with pytest.raises(SynthECGError, match="give steps"):
        planned_steps(tiny(steps=None), 13)


def test_batches_cover_each_epoch_once_and_restart_exactly():
    from synthecg.training.loop import _batches, _Dist

    dataset = [torch.full((1,), float(i)) for i in range(10)]
    stream = _batches(dataset, 3, _Dist(), seed=4, start=0, num_workers=0, pin=False)
    first = [(epoch, batch[:, 0].tolist()) for epoch, batch in (next(stream) for _ in range(7))]
    assert [e for e, _ in first] == [0, 0, 0, 1, 1, 1, 2]  # 3 full batches per epoch (one left out)
    for epoch in (0, 1):
        seen = sum((b for e, b in first if e == epoch), [])
        assert len(set(seen)) == 9
    assert first[0][1] != first[3][1]  # reshuffled each epoch
    resumed = _batches(dataset, 3, _Dist(), seed=4, start=4, num_workers=0, pin=False)
    assert [(e, b[:, 0].tolist()) for e, b in (next(resumed) for _ in range(3))] == first[4:]


def test_two_processes_equal_one(tmp_path):
    """torchrun, 2 CPU processes (gloo) x batch 2 == 1 process x batch 4: gradients are averaged
    (with time-shift augmentation on, whose shifts follow the global sample index too)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    one, two = tmp_path / "one", tmp_path / "two"
    # The reference in this process: the worker's own config, on the same data.
    import importlib.util

    spec = importlib.util.spec_from_file_location("_ddp_worker", WORKER)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    worker.run(str(one), "wavegan", 1, 4)
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc-per-node", "2", str(WORKER), str(two), "wavegan", "1", "4"],
                          env=env, timeout=300, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    a, b = state(one), state(two)
    assert b["world_size"] == 2 and a["world_size"] == 1
    # Adam's first moments are (1 - beta1) x the averaged gradients: equal up to float summation.
    # Without averaging (each process using its own half batch) they would differ by O(1).
    for opt in ("opt_d", "opt_g"):
        for i, moments in a[opt]["state"].items():
            x, y = moments["exp_avg"], b[opt]["state"][i]["exp_avg"]
            assert float((x - y).norm()) <= 1e-3 * float(x.norm()) + 1e-12, (opt, i)
    for part in ("generator", "critic"):
        for key, value in a[part].items():
            torch.testing.assert_close(b[part][key], value, rtol=0, atol=1e-4)
    loss = lambda run: [r["critic_loss"] for r in csv.DictReader(open(run / "metrics.csv"))]  # noqa: E731
    # metrics.csv keeps 6 significant digits: one process's float noise may flip the last one.
    np.testing.assert_allclose(np.float64(loss(one)), np.float64(loss(two)), rtol=5e-5)


def test_early_stop_and_time_limit(tmp_path, data, monkeypatch):
    from synthecg.training import loop
    from synthecg.training.fidelity import FidelityProxy

    scores = iter([3.0, 3.5, 1.0])  # the second evaluation is worse: patience 1 stops there
    monkeypatch.setattr(loop, "fidelity_proxy", lambda *a, **k: FidelityProxy(next(scores), {}, 0.0))
    result = train(tiny(steps=10, eval_every=1, patience=1), tmp_path / "early", data=data, progress=False)
    assert (result.step, result.early_stopped, result.best_step, result.best_score) == (2, True, 1, 3.0)
    assert state(tmp_path / "early")["step"] == 2 and state(tmp_path / "early")["stale_evals"] == 1
    best = torch.load(tmp_path / "early" / "checkpoints" / "best.pt", weights_only=True)
    assert best["training_step"] == 1
    result = train(tiny(steps=10, time_limit=1e-6), tmp_path / "timed", data=data, progress=False)
    assert (result.step, result.timed_out, result.early_stopped) == (1, True, False)
    assert state(tmp_path / "timed")["step"] == 1
