import numpy as np
import pytest
import torch

from synthecg import SynthECGError
from synthecg.models import Pulse2PulseConfig, Pulse2PulseCritic, Pulse2PulseGenerator


def test_published_weights_reproduce_deepfake_ecg(deepfake_model, reference_generator):
    """Same noise -> same ECG as deepfake-ecg's own Generator (< 0.5 µV after x 6000)."""
    noise = torch.rand(8, 8, 5000, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.inference_mode():
        ours = deepfake_model(noise) * 6000
        theirs = reference_generator(noise) * 6000
    assert ours.shape == (8, 8, 5000)
    difference = (ours - theirs).abs().max().item()
    assert difference < 0.5, difference
    # Truncated to integers as deepfake-ecg writes them: equal up to 1 µV.
    assert (ours.int() - theirs.int()).abs().max().item() <= 1


def test_generator_output_is_bounded_and_shaped_at_other_sizes():
    config = Pulse2PulseConfig(model_size=10, length=7500)
    model = Pulse2PulseGenerator(config)
    x = model(torch.rand(2, 8, 7500) * 2 - 1)
    assert x.shape == (2, 8, 7500) and x.abs().max() <= 1
    assert model.noise_shape == (8, 7500)
    floored = Pulse2PulseGenerator(Pulse2PulseConfig(model_size=10, min_width=8))
    assert [c.out_channels for c in floored.down] == [8, 8, 10, 30, 50, 50]
    assert [u.conv.out_channels for u in floored.up] == [50, 30, 10, 8, 8, 8]
    assert floored(torch.rand(1, 8, 5000) * 2 - 1).shape == (1, 8, 5000)


def test_generator_trains_gradients_reach_every_parameter():
    model = Pulse2PulseGenerator(Pulse2PulseConfig(model_size=10))
    model(torch.rand(2, 8, 5000) * 2 - 1).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def _shapes(module):
    return [tuple(p.shape) for p in module.parameters()]


def test_critic_has_the_reference_architecture_and_parameter_count():
    from deepfakeecg.models import Discriminator

    with torch.device("meta"):
        reference = Discriminator(model_size=50)
        ours = Pulse2PulseCritic(Pulse2PulseConfig(model_size=50))
    assert _shapes(ours) == _shapes(reference)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in reference.parameters())


@pytest.mark.parametrize("model_size", [64, 32, 10])
def test_critic_accepts_8x5000_at_every_model_size(model_size):
    from deepfakeecg.models import Discriminator

    with torch.device("meta"):
        critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=model_size, shift_factor=0))
        assert critic(torch.empty(2, 8, 5000)).shape == (2, 1)
        reference = Discriminator(model_size=model_size, shift_factor=0)
        with pytest.raises(RuntimeError):  # the reference's linear layer is fixed at 25,000 inputs
            reference(torch.empty(2, 8, 5000))


def test_critic_computes_the_reference_function():
    from deepfakeecg.models import Discriminator

    torch.manual_seed(0)
    ours = Pulse2PulseCritic(Pulse2PulseConfig(model_size=10, shift_factor=0)).eval()
    reference = Discriminator(model_size=10, shift_factor=0)
    reference.fc1 = torch.nn.Linear(5000, 1)  # what d = 10 needs; the reference hard-wires 25,000
    state = dict(zip([k for k in reference.state_dict()], ours.state_dict().values()))
    reference.load_state_dict(state)
    x = torch.rand(3, 8, 5000) * 2 - 1
    torch.testing.assert_close(ours(x), reference(x), rtol=1e-4, atol=1e-5)


def test_critic_weights_start_he_normal_as_the_reference():
    """The reference initialises every critic weight with kaiming_normal (std sqrt(2 / fan_in));
    PyTorch's default would be 2.4x smaller."""
    from deepfakeecg.models import Discriminator

    torch.manual_seed(0)
    ours = Pulse2PulseCritic(Pulse2PulseConfig(model_size=10))
    reference = Discriminator(model_size=10)
    for (name, mine), theirs in zip(ours.named_parameters(), reference.parameters()):
        if name.endswith("weight"):
            fan_in = mine[0].numel()
            assert mine.std().item() == pytest.approx((2 / fan_in) ** 0.5, rel=0.1), name
            if name.startswith("convs"):  # the reference's linear layer has a fixed 25,000 inputs
                assert mine.std().item() == pytest.approx(theirs.std().item(), rel=0.1), name


def test_critic_backward_with_phase_shuffle():
    critic = Pulse2PulseCritic(Pulse2PulseConfig(model_size=5)).train()
    x = torch.rand(4, 8, 5000, requires_grad=True)
    critic(x, generator=torch.Generator().manual_seed(0)).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("field, value", [("model_size", 2), ("length", 4000), ("kernel_size", 24),
                                          ("shift_factor", -1), ("channels", 0), ("min_width", 0)])
def test_config_validation(field, value):
    with pytest.raises(SynthECGError, match=field):
        Pulse2PulseConfig(**{field: value})


def test_config_round_trip_refuses_unknown_fields():
    config = Pulse2PulseConfig(model_size=20)
    assert Pulse2PulseConfig.from_dict(config.to_dict()) == config
    with pytest.raises(SynthECGError, match="modelsize"):
        Pulse2PulseConfig.from_dict({"modelsize": 3})


def test_unconditional_generator_refuses_labels():
    model = Pulse2PulseGenerator(Pulse2PulseConfig(model_size=5))
    with pytest.raises(SynthECGError, match="labels"):
        model(torch.rand(1, 8, 5000), labels=torch.zeros(1, dtype=torch.long))
