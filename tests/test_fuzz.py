"""Whatever a config holds, loading it either works or raises one clear ConfigError: never a crash."""

import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.config.load import load_config
from trainer.errors import ConfigError

KEYS = [
    "name",
    "seed",
    "data",
    "model",
    "loss",
    "optimizer",
    "trainer",
    "type",
    "lr",
    "epochs",
    "batch_size",
    "val_fraction",
    "test_fraction",
    "standardize",
    "n_samples",
    "path",
    "target",
    "features",
    "init",
    "early_stopping",
    "monitor",
    "mode",
    "patience",
    "checkpoint_every",
    "sgd",
    "linear",
    "mse",
    "csv",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.sampled_from(KEYS),
    st.text(string.printable, max_size=12),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(string.ascii_letters + "_.", min_size=1, max_size=10))
trees = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=20,
)
configs = st.dictionaries(keys, trees, max_size=8)
VALID = {
    "data": {"type": "synthetic_linear"},
    "model": "linear",
    "loss": "mse",
    "optimizer": {"type": "sgd", "lr": 0.1},
}


def loads_or_explains(path, overrides=()):
    try:
        load_config(path, overrides)
    except ConfigError as error:
        assert str(error) and "Traceback" not in str(error)


@pytest.mark.slow  # about 5 s: drawing 150 nested configs is Hypothesis's slow part
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(configs)
def test_random_configs(tmp_path, raw):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(raw))
    loads_or_explains(path)


@pytest.mark.slow  # about 5 s: drawing 150 nested configs is Hypothesis's slow part
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(configs)
def test_random_sections_merged_into_a_valid_config(tmp_path, raw):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump({**VALID, **raw}))
    loads_or_explains(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(string.printable, max_size=30), max_size=4))
def test_random_overrides(tmp_path, overrides):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(VALID))
    loads_or_explains(path, overrides)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_random_text(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text)
    loads_or_explains(path)
