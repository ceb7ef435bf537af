import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
ASSIGNMENTS = ROOT / "assignments"
TWO_LAYER_NET = ASSIGNMENTS / "two_layer_net"

LINREG = """\
name: tiny
seed: 3
data: {type: synthetic_linear, n_samples: 200, n_features: 2, noise: 0.1, val_fraction: 0.25}
model: linear
loss: mse
optimizer: {type: sgd, lr: 0.05}
trainer: {epochs: 5, batch_size: 16}
"""


@pytest.fixture
def write_config(tmp_path):
    """Write YAML text (dedented) to a config file in a temporary folder; return its path."""

    def write(text: str = LINREG, name: str = "config.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write
