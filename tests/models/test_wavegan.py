import torch
import torch.nn.functional as F

from synthecg.models import WaveGANConfig, WaveGANCritic, WaveGANGenerator
from synthecg.models.layers import WaveGANCriticBody


def literal_wavegan(model, z):
    """WaveGAN* written out the reference way: dense, then upsample -> pad -> conv per layer."""
    x = F.relu(model.fc(z).view(z.shape[0], -1, model.start_length))
    for i, layer in enumerate(model.up):
        x = layer.reference_forward(x)
        x = torch.tanh(x) if i == len(model.up) - 1 else F.relu(x)
    return x


def test_generator_equals_literal_upsampling_network():
    torch.manual_seed(0)
    model = WaveGANGenerator(WaveGANConfig(model_size=10)).eval()
    z = torch.rand(3, 100) * 2 - 1
    with torch.no_grad():
        out = model(z)
    assert out.shape == (3, 8, 5000)
    torch.testing.assert_close(out, literal_wavegan(model, z), rtol=1e-5, atol=2e-5)  # float32 summation order


def test_min_width_floors_only_the_narrow_hidden_layers():
    torch.manual_seed(0)
    paper = WaveGANGenerator(WaveGANConfig(model_size=10))
    floored = WaveGANGenerator(WaveGANConfig(model_size=10, min_width=8)).eval()
    assert [m.conv.out_channels for m in paper.up] == [50, 30, 10, 5, 2, 8]
    assert [m.conv.out_channels for m in floored.up] == [50, 30, 10, 8, 8, 8]
    z = torch.rand(2, 100) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(floored(z), literal_wavegan(floored, z), rtol=1e-5, atol=2e-5)


def test_paper_size_parameter_count():
    with torch.device("meta"):
        model = WaveGANGenerator(WaveGANConfig())
    d = 50
    dense = 100 * 10 * d + 10 * d
    widths = [5 * d, 5 * d, 3 * d, d, d // 2, d // 5, 8]
    convs = sum(a * b * 25 + b for a, b in zip(widths[:-1], widths[1:]))
    assert sum(p.numel() for p in model.parameters()) == dense + convs
    assert model.noise_shape == (100,)


def test_critic_is_the_wavegan_critic_and_scores_batches():
    critic = WaveGANCritic(WaveGANConfig(model_size=5, length=2500))
    assert isinstance(critic, WaveGANCriticBody)
    assert critic(torch.rand(2, 8, 2500)).shape == (2, 1)


def test_generator_and_critic_train_together():
    config = WaveGANConfig(model_size=5)
    g, d = WaveGANGenerator(config), WaveGANCritic(config)
    loss = -d(g(torch.rand(2, 100) * 2 - 1), generator=torch.Generator().manual_seed(0)).mean()
    loss.backward()
    assert all(p.grad is not None for p in g.parameters())
