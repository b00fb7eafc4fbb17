"""TrainConfig: defaults of the paper, TOML then CLI overrides, unknown keys refused."""

import json
from pathlib import Path

import pytest

from synthecg import SynthECGError
from synthecg.training import TrainConfig, configure, resolve_config
from synthecg.training.config import identity_differences


def test_defaults_are_the_papers_wgan_gp():
    config = TrainConfig()
    assert (config.batch_size, config.lr, config.betas, config.n_critic, config.gp_lambda) == \
        (32, 1e-4, (0.5, 0.9), 5, 10.0)
    assert config.model_config().length == 5000 and config.model_config().channels == 8


def test_the_shipped_cpu_preset_is_a_valid_config_the_cli_can_override():
    preset = Path(__file__).resolve().parents[2] / "configs" / "cpu-small.toml"
    config = resolve_config(preset, data_path="x", steps=7)
    assert (config.model, config.n_critic, config.min_width, config.data.highpass_hz,
            config.data.mu_law) == ("wavegan", 1, 16, 0.5, 40.0)
    assert config.critic_lr > config.lr and config.steps == 7
    assert config.model_config().min_width == 16


def test_toml_then_options_override(tmp_path):
    toml = tmp_path / "train.toml"
    toml.write_text('model = "wavegan"\nmodel_size = 8\nsteps = 100\nema = 0.999\n'
                    '[data]\npath = "ecgs"\nfilter = "normal"\nlength = 2500\n')
    config = resolve_config(toml, model_size=6, batch_size=None, data_filter="164889003")
    assert (config.model, config.model_size, config.steps, config.ema) == ("wavegan", 6, 100, 0.999)
    assert config.batch_size == 32  # None = option not given
    assert config.data.filter == "164889003" and config.data.length == 2500
    assert config.data.path == str((tmp_path.cwd() / "ecgs").resolve())
    assert resolve_config(toml, epochs=2.5).steps is None  # --epochs replaces the file's steps
    wavegan = config.model_config()
    assert type(wavegan).__name__ == "WaveGANConfig" and wavegan.model_size == 6


@pytest.mark.parametrize("text, key", [("modle = 'wavegan'\n", "modle"),
                                       ("[data]\npath = 'x'\nsampling = 500\n", "sampling")])
def test_unknown_keys_are_refused_in_one_line(tmp_path, text, key):
    toml = tmp_path / "bad.toml"
    toml.write_text(text)
    with pytest.raises(SynthECGError, match=key) as info:
        resolve_config(toml)
    assert "\n" not in str(info.value) and "bad.toml" in str(info.value)


@pytest.mark.parametrize("overrides, field", [({"model": "gpt"}, "model"), ({"batch_size": 0}, "batch_size"),
                                              ({"ema": 1.5}, "ema"), ({"amp": "fp16"}, "amp"),
                                              ({"augment_shift": 0.6}, "augment_shift"),
                                              ({"critic_lr": 0.0}, "critic_lr"),
                                              ({"phase_shuffle": -1}, "phase_shuffle"),
                                              ({"data_leads": ("I", "II")}, "data.leads")])
def test_invalid_values_are_refused(overrides, field):
    with pytest.raises(SynthECGError, match=field):
        resolve_config(**overrides)


def test_config_json_round_trip_and_identity():
    config = resolve_config(model="wavegan", model_size=7, data_path="x", steps=3)
    again = TrainConfig.from_dict(json.loads(config.to_json()))
    assert again == config and identity_differences(config, again) == []
    longer = resolve_config(model="wavegan", model_size=7, data_path="x", steps=30, eval_every=3)
    assert identity_differences(config, longer) == []  # how long and how often may change
    other = resolve_config(model="pulse2pulse", model_size=8, data_path="x", steps=3)
    assert identity_differences(config, other) == ["model", "model_size"]


def test_configure_needs_data_and_resumes_from_the_runs_config(tmp_path):
    with pytest.raises(SynthECGError, match="--data"):
        configure(tmp_path / "run")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(resolve_config(model="wavegan", model_size=9, data_path="x",
                                                    steps=5).to_json())
    resumed = configure(run, resume=True, steps=10)
    assert (resumed.model, resumed.model_size, resumed.steps) == ("wavegan", 9, 10)
