"""μ-law companding of the training scale: exact inverse pair on numpy and torch, ends kept."""

import numpy as np
import pytest
import torch

from synthecg._mu_law import mu_law_decode, mu_law_encode


@pytest.mark.parametrize("mu", [1.0, 40.0, 255.0])
def test_encode_and_decode_are_inverse_monotonic_and_keep_0_and_the_ends(mu):
    x = np.linspace(-1.0, 1.0, 4001, dtype=np.float32)
    y = mu_law_encode(x, mu)
    assert y.dtype == np.float32 and y.shape == x.shape
    assert np.all(np.diff(y) > 0)
    np.testing.assert_array_equal(mu_law_encode(np.float32([-1, 0, 1]), mu), [-1, 0, 1])
    np.testing.assert_allclose(mu_law_decode(y, mu), x, atol=2e-6)
    t = mu_law_encode(torch.from_numpy(x), mu)
    assert isinstance(t, torch.Tensor) and t.dtype == torch.float32
    np.testing.assert_allclose(t.numpy(), y, atol=1e-6)
    np.testing.assert_allclose(mu_law_decode(t, mu).numpy(), x, atol=2e-6)


def test_small_waves_get_a_larger_share_of_the_range_and_mu_0_is_linear():
    p_wave, r_wave = mu_law_encode(np.float32([100 / 2000, 700 / 2000]), 40.0)
    assert p_wave > 0.25 and r_wave < 0.75  # linear: 0.05 and 0.35
    x = np.float32([0.3, -0.2])
    assert mu_law_encode(x, 0.0) is x and mu_law_decode(x, 0.0) is x
