"""Training WaveGAN* and Pulse2Pulse on one's own ECGs (WGAN-GP), resumable, under torchrun.

``train(resolve_config(...), "runs/x")`` writes a run directory that
``synthecg.models.load_generator("runs/x")`` and ``synthecg generate --model runs/x`` use.
See docs/training.md.
"""

from .config import TrainConfig, configure, resolve_config
from .loop import TrainResult, train
from .rundir import RunDir

__all__ = ["TrainConfig", "TrainResult", "RunDir", "configure", "resolve_config", "train"]
