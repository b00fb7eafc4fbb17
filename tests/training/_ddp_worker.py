"""Run by tests under torchrun (or plain python): one tiny training run on MemoryData."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _memory_data import MemoryData  # noqa: E402

from synthecg.training import resolve_config, train  # noqa: E402


def run(out, model, steps, batch):
    config = resolve_config(model=model, model_size=5, steps=steps, batch_size=batch, n_critic=2,
                            data_path="memory", data_length=2500, eval_every=0, sample_every=0,
                            checkpoint_every=0, log_every=1, augment_shift=0.1)
    return train(config, out, data=MemoryData(), progress=False)


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
