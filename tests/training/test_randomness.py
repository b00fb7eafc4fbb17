"""Counter-based training randomness and the critic's explicit phase-shuffle shifts."""

import torch

from synthecg.models import WaveGANConfig, WaveGANCritic
from synthecg.training import randomness as rnd


def test_draws_depend_on_the_global_sample_index_only():
    whole = rnd.noise(3, 7, rnd.CRITIC_NOISE, 1, [0, 1, 2, 3], (8, 50))
    rank0, rank1 = (rnd.noise(3, 7, rnd.CRITIC_NOISE, 1, rnd.global_indices(2, r, 2), (8, 50)) for r in (0, 1))
    assert rnd.global_indices(2, 1, 2) == [1, 3]
    assert torch.equal(rank0, whole[[0, 2]]) and torch.equal(rank1, whole[[1, 3]])
    assert float(whole.min()) >= -1 and float(whole.max()) < 1
    # Another step, role or critic iteration is another stream.
    assert not torch.equal(whole, rnd.noise(3, 8, rnd.CRITIC_NOISE, 1, [0, 1, 2, 3], (8, 50)))
    assert not torch.equal(whole, rnd.noise(3, 7, rnd.GENERATOR_NOISE, 1, [0, 1, 2, 3], (8, 50)))
    eps = rnd.epsilon(3, 7, 0, [0, 1, 2])
    assert eps.shape == (3, 1, 1) and torch.equal(eps[1:], rnd.epsilon(3, 7, 0, [1, 2]))
    shifts = rnd.shifts(3, 7, rnd.CRITIC_SHIFTS, 0, list(range(50)), 6, 2)
    assert shifts.shape == (6, 50) and set(shifts.flatten().tolist()) == {-2, -1, 0, 1, 2}


def test_critic_takes_explicit_per_sample_shifts():
    config = WaveGANConfig(model_size=5, length=2500)
    critic = WaveGANCritic(config).train()
    x = torch.rand(3, 8, 2500) * 2 - 1
    zero = torch.zeros(len(critic.shuffles), 3, dtype=torch.int64)
    with torch.no_grad():
        shuffled_off = critic.eval()(x)
        critic.train()
        assert torch.allclose(critic(x, shifts=zero), shuffled_off, atol=1e-6)
        shifts = rnd.shifts(0, 0, rnd.CRITIC_SHIFTS, 0, [0, 1, 2], len(critic.shuffles), 2)
        together = critic(x, shifts=shifts)
        # The critic has no batch statistics: a sample's score depends on its own shifts only.
        alone = critic(x[1:2], shifts=shifts[:, 1:2])
        assert torch.allclose(together[1:2], alone, atol=1e-5)
        assert not torch.allclose(together, shuffled_off, atol=1e-6)
