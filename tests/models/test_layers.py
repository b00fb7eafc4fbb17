import torch
import torch.nn.functional as F
import pytest

from synthecg.models.layers import (PhaseShuffle, UpsampleConv1d, from_channels_last,
                                    to_channels_last)


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("scale, kernel", [(2, 25), (5, 25), (3, 7), (4, 9), (5, 3)])
def test_polyphase_equals_upsample_then_convolve(scale, kernel, split):
    torch.manual_seed(scale * 100 + kernel)
    layer = UpsampleConv1d(6, 4, kernel, scale, split_phases=split)
    x = torch.randn(3, 6, 37, dtype=torch.float64)
    layer.double()
    expected = layer.reference_forward(x)
    with torch.no_grad():
        fast = from_channels_last(layer(to_channels_last(x)))
    assert fast.shape == (3, 4, 37 * scale)
    torch.testing.assert_close(fast, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("split", [False, True])
def test_polyphase_gradients_equal_reference(split):
    torch.manual_seed(0)
    layer = UpsampleConv1d(5, 3, 25, 5, split_phases=split).double()
    x = torch.randn(2, 5, 20, dtype=torch.float64, requires_grad=True)
    from_channels_last(layer(to_channels_last(x))).square().sum().backward()
    fast = (x.grad.clone(), layer.conv.weight.grad.clone(), layer.conv.bias.grad.clone())
    x.grad = None
    layer.zero_grad()
    layer.reference_forward(x).square().sum().backward()
    for a, b in zip(fast, (x.grad, layer.conv.weight.grad, layer.conv.bias.grad)):
        torch.testing.assert_close(a, b)


def test_wide_layers_split_phases_by_tap_range():
    wide = UpsampleConv1d(500, 8, 25, 5)
    assert [(p0, p1, lo, hi) for p0, p1, lo, hi in wide.groups] == [(0, 2, -3, 2), (2, 3, -2, 2),
                                                                     (3, 5, -2, 3)]
    assert len(UpsampleConv1d(50, 8, 25, 5).groups) == 1
    assert UpsampleConv1d(500, 8, 25, 2).groups == [(0, 2, -6, 6)]  # both phases share a range


def test_inference_cache_follows_weight_updates():
    layer = UpsampleConv1d(2, 2, 5, 2)
    x = to_channels_last(torch.randn(1, 2, 8))
    with torch.no_grad():
        before = layer(x).clone()
        layer.conv.weight.add_(1.0)
        after = layer(x)
    assert not torch.equal(before, after)
    torch.testing.assert_close(from_channels_last(after), layer.reference_forward(x[:, :, 0]),
                               rtol=1e-5, atol=1e-5)


def reference_shift(x, k):
    """WaveGAN's phase shuffle for one shift k, written as the reference code does it."""
    if k > 0:
        return F.pad(x[..., :-k], (k, 0), mode="reflect")
    if k < 0:
        return F.pad(x[..., -k:], (0, -k), mode="reflect")
    return x


def test_phase_shuffle_matches_reference_shifts():
    torch.manual_seed(1)
    shuffle = PhaseShuffle(2).train()
    x = torch.randn(64, 3, 30)
    out = shuffle(x, generator=torch.Generator().manual_seed(5))
    seen = set()
    for row in range(64):
        matches = [k for k in range(-2, 3) if torch.equal(out[row:row + 1], reference_shift(x[row:row + 1], k))]
        assert len(matches) == 1
        seen.add(matches[0])
    assert seen == {-2, -1, 0, 1, 2}
    again = shuffle(x, generator=torch.Generator().manual_seed(5))
    assert torch.equal(out, again)


def test_phase_shuffle_is_identity_in_eval_mode_or_at_zero():
    x = torch.randn(4, 2, 10)
    assert torch.equal(PhaseShuffle(2).eval()(x), x)
    assert torch.equal(PhaseShuffle(0).train()(x), x)
