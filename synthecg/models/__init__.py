"""GAN models for ECGs: Pulse2Pulse and WaveGAN* generators and critics, and their loading."""

from .config import ECGModelConfig
from .loading import DEFAULT_MODEL, PRETRAINED, load_generator, save_generator
from .pulse2pulse import Pulse2PulseConfig, Pulse2PulseCritic, Pulse2PulseGenerator
from .wavegan import WaveGANConfig, WaveGANCritic, WaveGANGenerator

__all__ = [
    "DEFAULT_MODEL", "PRETRAINED", "ECGModelConfig", "load_generator", "save_generator",
    "Pulse2PulseConfig", "Pulse2PulseGenerator", "Pulse2PulseCritic",
    "WaveGANConfig", "WaveGANGenerator", "WaveGANCritic",
]
