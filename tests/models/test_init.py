"""Initialisation of the GAN models: He-normal weights, zero biases, a signal that survives depth."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from synthecg.models.layers import to_channels_last
from synthecg.models.pulse2pulse import Pulse2PulseConfig, Pulse2PulseCritic, Pulse2PulseGenerator
from synthecg.models.wavegan import WaveGANConfig, WaveGANCritic, WaveGANGenerator

MODELS = [(Pulse2PulseGenerator, Pulse2PulseConfig), (Pulse2PulseCritic, Pulse2PulseConfig),
          (WaveGANGenerator, WaveGANConfig), (WaveGANCritic, WaveGANConfig)]


@pytest.mark.parametrize("model_type, config_type", MODELS)
def test_weights_are_he_normal_and_biases_zero(model_type, config_type):
    torch.manual_seed(0)
    model = model_type(config_type(model_size=16))
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Linear))]
    assert layers
    for layer in layers:
        fan_in = layer.weight[0].numel()
        if layer.weight.numel() >= 1000:  # enough values for a stable standard deviation
            assert layer.weight.std().item() == pytest.approx((2 / fan_in) ** 0.5, rel=0.15)
        assert torch.all(layer.bias == 0)


def test_wavegan_signal_keeps_its_scale_through_the_relu_stack():
    """With PyTorch's default init each ReLU layer shrinks the variance ~6x, leaving the deep,
    narrow layers bias-driven (every unit dead or always on) and a small model untrainable."""
    torch.manual_seed(0)
    generator = WaveGANGenerator(WaveGANConfig(model_size=16)).eval()
    with torch.no_grad():
        z = torch.rand(32, 100) * 2 - 1
        x = to_channels_last(F.relu(generator.fc(z).view(32, -1, generator.start_length)))
        first = x.std().item()
        for conv in generator.up[:-1]:
            x = F.relu(conv(x))
        assert x.std().item() > 0.3 * first
        alive = (x > 0).float().mean().item()
        assert 0.1 < alive < 0.9
