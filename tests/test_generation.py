import numpy as np
import pytest
import torch

import synthecg
from synthecg import SynthECGError
from synthecg._seeding import uniform_noise
from synthecg.generation import make_sampler
from synthecg.leads import INDEPENDENT_8, STANDARD_12


@pytest.fixture(scope="module")
def batch40(deepfake_model):
    return synthecg.generate(40, seed=3, model=deepfake_model)


def test_generate_returns_12_lead_int16_microvolts(batch40):
    assert batch40.signals.shape == (40, 12, 5000)
    assert batch40.signals.dtype == np.int16 and batch40.units == "uV"
    assert batch40.fs == 500 and batch40.leads == STANDARD_12
    assert batch40.meta[7] == {"seed": 3, "index": 7, "model": "pulse2pulse-deepfake"}
    # A real ECG: leads swing by hundreds of µV, within the generator's ±6000 µV.
    swing = batch40.signals.max(axis=2) - batch40.signals.min(axis=2)
    assert np.median(swing) > 200 and np.abs(batch40.signals[:, [0, 1, 6, 7, 8, 9, 10, 11]]).max() <= 6000


def test_limb_lead_identities(batch40):
    lead = {name: batch40.lead(name).astype(int) for name in STANDARD_12}
    assert np.array_equal(lead["I"] + lead["III"], lead["II"])
    assert np.abs(lead["aVR"] + lead["aVL"] + lead["aVF"]).max() <= 1


@pytest.mark.parametrize("n, batch_size", [(11, 1), (17, 8), (40, 24), (5, 64)])
def test_prefix_is_reproducible_across_batch_sizes(batch40, deepfake_model, n, batch_size):
    part = synthecg.generate(n, seed=3, model=deepfake_model, batch_size=batch_size)
    np.testing.assert_array_equal(part.signals, batch40.signals[:n])


def test_seeds_differ_and_ecgs_within_a_seed_differ(batch40, deepfake_model):
    other = synthecg.generate(2, seed=4, model=deepfake_model)
    assert not np.array_equal(other.signals[0], batch40.signals[0])
    assert not np.array_equal(batch40.signals[0], batch40.signals[1])


def test_8_leads(deepfake_model, batch40):
    b8 = synthecg.generate(3, seed=3, model=deepfake_model, leads=8)
    assert b8.leads == INDEPENDENT_8
    np.testing.assert_array_equal(b8.signals, batch40.select(INDEPENDENT_8).signals[:3])


def test_same_numbers_as_deepfake_ecg_from_the_same_noise(deepfake_model, reference_generator):
    """deepfake-ecg writes (out * 6000).int(): we must give its users the same integers."""
    ours = synthecg.generate(8, seed=11, model=deepfake_model, leads=8).signals.astype(int)
    noise = torch.from_numpy(uniform_noise(11, 0, 8, (8, 5000)))
    with torch.inference_mode():
        theirs = (reference_generator(noise) * 6000).int().numpy()
    difference = np.abs(ours - theirs)
    assert difference.max() <= 1 and (difference == 0).mean() > 0.99


def test_a_mu_law_model_is_decoded_to_microvolts():
    from synthecg._mu_law import mu_law_decode
    from synthecg.models import WaveGANConfig, WaveGANGenerator

    companded = WaveGANGenerator(WaveGANConfig(model_size=5, scale_uv=2000, mu_law=40))
    linear = WaveGANGenerator(WaveGANConfig(model_size=5, scale_uv=2000))
    linear.load_state_dict(companded.state_dict())  # the same network, read linearly
    raw = synthecg.generate(3, seed=5, model=linear, leads=8).signals / 2000.0  # truncated µV
    decoded = synthecg.generate(3, seed=5, model=companded, leads=8).signals.astype(float)
    np.testing.assert_allclose(decoded, mu_law_decode(raw, 40.0) * 2000, atol=1.5)
    assert np.abs(decoded - raw * 2000).max() > 10  # and not read linearly


def test_range_is_checked_not_wrapped(deepfake_model):
    from synthecg.models import Pulse2PulseConfig, Pulse2PulseGenerator

    model = Pulse2PulseGenerator(Pulse2PulseConfig(model_size=5, scale_uv=1e6))
    torch.nn.init.constant_(model.up[5].conv.bias, 5.0)  # tanh ~ 1 -> 1,000,000 µV
    with pytest.raises(SynthECGError, match="int16"):
        synthecg.generate(1, model=model)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "positive"), ({"n": -3}, "positive"), ({"n": 2.5}, "positive"),
    ({"n": 1, "leads": 10}, "leads"), ({"n": 1, "seed": -1}, "seed"),
    ({"n": 1, "model": "no-such-model"}, "not a known model"),
    ({"n": 1, "batch_size": 0}, "batch_size"), ({"n": 1, "device": "tpu9"}, "device"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(SynthECGError, match=match):
        synthecg.generate(**kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on machines without CUDA")
def test_cuda_without_gpu_is_a_clear_error():
    with pytest.raises(SynthECGError, match="no CUDA GPU"):
        synthecg.generate(1, device="cuda")


def test_sampler_pads_to_aligned_blocks(deepfake_model):
    sampler = make_sampler(deepfake_model, seed=0, batch_size=5, device="cpu")
    assert sampler.batch_size == 8
    middle = sampler.sample_uv(5, 13)
    whole = sampler.sample_uv(0, 16)
    np.testing.assert_array_equal(middle, whole[5:13])


def test_generate_from_a_wavegan_checkpoint(tmp_path):
    """A trained checkpoint of the other architecture (latent noise) goes through the same path."""
    from synthecg.models import WaveGANConfig, WaveGANGenerator, save_generator

    torch.manual_seed(0)
    path = save_generator(WaveGANGenerator(WaveGANConfig(model_size=5)), tmp_path / "wavegan.pt")
    batch = synthecg.generate(9, seed=1, model=path, batch_size=8)
    assert batch.signals.shape == (9, 12, 5000) and batch.meta[0]["model"] == str(path)
    np.testing.assert_array_equal(synthecg.generate(3, seed=1, model=path).signals, batch.signals[:3])
    assert len(np.unique(batch.signals[:, 1, 2500])) > 1  # different latents, different ECGs
