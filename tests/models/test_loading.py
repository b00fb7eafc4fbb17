import os
import pickle

import pytest
import torch

from synthecg import SynthECGError
from synthecg.models import (Pulse2PulseConfig, Pulse2PulseGenerator, WaveGANConfig,
                             WaveGANGenerator, load_generator, save_generator)
from synthecg._files import sha256_file
from synthecg.models.loading import deepfake_weights_path


def test_default_model_loads_from_the_installed_wheel(deepfake_model):
    assert deepfake_weights_path().name == "g_stat.pt"
    assert not deepfake_model.training
    assert not any(p.requires_grad for p in deepfake_model.parameters())
    assert deepfake_model.source == "pulse2pulse-deepfake"
    assert deepfake_model.weights_sha256 == sha256_file(deepfake_weights_path())
    assert deepfake_model.config.scale_uv == 6000 and deepfake_model.noise_shape == (8, 5000)


def test_default_model_does_not_import_deepfake_ecg_code():
    import subprocess
    import sys

    code = ("import sys; from synthecg.models import load_generator; load_generator(); "
            "print('deepfakeecg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("cls, config", [(Pulse2PulseGenerator, Pulse2PulseConfig(model_size=5)),
                                         (Pulse2PulseGenerator, Pulse2PulseConfig(model_size=5, min_width=8)),
                                         (WaveGANGenerator, WaveGANConfig(model_size=5)),
                                         (WaveGANGenerator, WaveGANConfig(model_size=5, min_width=8))])
def test_checkpoint_round_trip(tmp_path, cls, config):
    model = cls(config).eval()
    path = save_generator(model, tmp_path / "g.pt")
    loaded = load_generator(path)
    assert type(loaded) is cls and loaded.config == config
    noise = torch.rand(2, *model.noise_shape) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(loaded(noise), model(noise))
    with pytest.raises(SynthECGError, match="already exists"):
        save_generator(model, path)


def test_run_directory_prefers_best_checkpoint(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    best = Pulse2PulseGenerator(Pulse2PulseConfig(model_size=5))
    last = Pulse2PulseGenerator(Pulse2PulseConfig(model_size=10))
    save_generator(best, tmp_path / "checkpoints" / "best.pt")
    save_generator(last, tmp_path / "checkpoints" / "last.pt")
    assert load_generator(tmp_path).config.model_size == 5
    (tmp_path / "checkpoints" / "best.pt").unlink()
    assert load_generator(tmp_path).config.model_size == 10


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_untrusted_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "synthecg.generator", "payload": _RunsCode(str(marker))}, path,
               pickle_protocol=2)
    with pytest.raises(SynthECGError, match="evil.pt.*untrusted"):
        load_generator(path)
    assert not marker.exists()


def test_truncated_checkpoint(tmp_path):
    path = save_generator(Pulse2PulseGenerator(Pulse2PulseConfig(model_size=5)), tmp_path / "g.pt")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SynthECGError, match="g.pt: not a readable checkpoint"):
        load_generator(path)


@pytest.mark.parametrize("payload, match", [
    ({"stat_dict": {}}, "not a SynthECG generator checkpoint"),
    ({"format": "synthecg.generator", "architecture": "diffusion"}, "unknown architecture"),
    ({"format": "synthecg.generator", "architecture": "wavegan", "config": {"model_size": 5},
      "generator": {}}, "do not fit"),
    ([1, 2, 3], "expected a dict"),
])
def test_wrong_checkpoint_contents(tmp_path, payload, match):
    path = tmp_path / "x.pt"
    torch.save(payload, path)
    with pytest.raises(SynthECGError, match=match):
        load_generator(path)


def test_unknown_name_and_missing_paths(tmp_path):
    with pytest.raises(SynthECGError, match="not a known model name"):
        load_generator("pulse2pulse-nonexistent")
    with pytest.raises(SynthECGError, match="no checkpoints/best.pt"):
        load_generator(tmp_path)
