"""Differentiable time-shift augmentation of the critic's input."""

import sys
from pathlib import Path

import numpy as np
import torch

from synthecg.training import resolve_config, train
from synthecg.training.augment import max_shift, roll_each

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _memory_data import MemoryData  # noqa: E402


def test_roll_each_shifts_every_ecg_by_its_own_amount_and_all_its_leads_together():
    x = torch.randn(3, 8, 50, dtype=torch.float64)
    shifts = torch.tensor([0, 7, -12])
    rolled = roll_each(x, shifts)
    for i, s in enumerate(shifts.tolist()):
        assert torch.equal(rolled[i], torch.roll(x[i], s, dims=-1))
    assert max_shift(0.125, 5000) == 625 and max_shift(0.0, 5000) == 0


def test_roll_each_gradient_is_the_reverse_shift():
    x = torch.randn(2, 3, 40, dtype=torch.float64, requires_grad=True)
    shifts = torch.tensor([5, -3])
    weights = torch.randn(2, 3, 40, dtype=torch.float64)
    (grad,) = torch.autograd.grad((roll_each(x, shifts) * weights).sum(), x)
    assert torch.equal(grad, roll_each(weights, -shifts))
    assert torch.autograd.gradcheck(lambda t: roll_each(t, shifts), (x,))


def test_augmentation_changes_what_the_critic_learns(tmp_path):
    """The option is used: one step with shifts differs from one without (same seed, same data)."""
    def critic_after_one_step(fraction, out):
        config = resolve_config(model="wavegan", model_size=5, steps=1, batch_size=2, n_critic=1,
                                data_path="memory", data_length=2500, eval_every=0, sample_every=0,
                                checkpoint_every=0, augment_shift=fraction)
        train(config, out, data=MemoryData(n_train=2, n_holdout=0), progress=False)
        return torch.load(out / "checkpoints" / "state.pt", weights_only=True)["critic"]

    plain = critic_after_one_step(0.0, tmp_path / "plain")
    shifted = critic_after_one_step(0.25, tmp_path / "shifted")
    again = critic_after_one_step(0.25, tmp_path / "again")
    assert any(not torch.equal(plain[k], shifted[k]) for k in plain)
    assert all(torch.equal(again[k], shifted[k]) for k in plain)  # the shifts are seeded
    assert np.isfinite([float(v.abs().sum()) for v in shifted.values()]).all()
