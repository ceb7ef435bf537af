import math
import re

import numpy as np
import pytest

from tests.conftest import LINREG
from trainer.config.load import load_config
from trainer.errors import UserError
from trainer.sweeps.space import expand, read_space


def test_grid_is_every_combination_in_order_with_readable_ids(write_config):
    space = read_space(write_config(), grid_flags=["optimizer.lr=0.01,0.1", "trainer.batch_size=16,64,128"])
    trials = expand(space)
    assert [trial.values for trial in trials] == [
        {"optimizer.lr": lr, "trainer.batch_size": bs} for lr in (0.01, 0.1) for bs in (16, 64, 128)
    ]
    assert [trial.id for trial in trials][:2] == ["000-lr=0.01-batch_size=16", "001-lr=0.01-batch_size=64"]
    assert trials[5].overrides() == ["optimizer.lr=0.1", "trainer.batch_size=128"]
    assert trials[5].label() == "lr=0.1, batch_size=128"


def test_grid_values_are_read_as_yaml_and_lists_keep_their_commas(write_config):
    space = read_space(
        write_config(), grid_flags=["model=linear", "data.noise=1e-3,2", "x.y=[64,32],[8],true"]
    )
    assert space.grid == {"model": ["linear"], "data.noise": [0.001, 2], "x.y": [[64, 32], [8], True]}
    trial = expand(space)[0]
    assert trial.overrides() == ['model="linear"', "data.noise=0.001", "x.y=[64, 32]"]


def test_random_draws_follow_the_seed_and_the_distributions(write_config):
    flags = [
        "optimizer.lr=loguniform:1e-4:1e-1",
        "data.noise=uniform:0.1:0.3",
        "trainer.batch_size=choice:16,32,64",
    ]
    trials = expand(read_space(write_config(), random_flags=flags, trials=50, seed=7))
    assert trials == expand(read_space(write_config(), random_flags=flags, trials=50, seed=7))
    assert trials != expand(read_space(write_config(), random_flags=flags, trials=50, seed=8))
    # The draws written out: per trial, the keys in order, from one generator seeded with the sweep's seed.
    rng = np.random.default_rng(7)
    for trial in trials:
        expected_lr = math.exp(rng.uniform(math.log(1e-4), math.log(1e-1)))
        expected_noise = rng.uniform(0.1, 0.3)
        expected_batch = [16, 32, 64][rng.integers(3)]
        assert trial.values == {
            "optimizer.lr": expected_lr,
            "data.noise": expected_noise,
            "trainer.batch_size": expected_batch,
        }
    lrs = np.log10([trial.values["optimizer.lr"] for trial in trials])
    assert lrs.min() >= -4 and lrs.max() <= -1 and lrs.max() - lrs.min() > 2  # spread over the decades


def test_random_times_grid_repeats_the_grid_per_draw(write_config):
    trials = expand(
        read_space(
            write_config(),
            grid_flags=["trainer.batch_size=16,64"],
            random_flags=["optimizer.lr=uniform:0.01:0.1"],
            trials=3,
        )
    )
    assert len(trials) == 6
    assert [trial.values["trainer.batch_size"] for trial in trials] == [16, 64] * 3
    assert len({trial.values["optimizer.lr"] for trial in trials}) == 6


def test_sweep_block_in_the_config_and_flags_on_top(write_config):
    path = write_config(
        LINREG + "sweep:\n  grid:\n    optimizer.lr: [0.01, 0.1]\n    trainer.epochs: [1, 2]\n  seed: 4\n"
    )
    space = read_space(path, random_flags=["optimizer.lr=loguniform:1e-3:1"], trials=2)
    assert space.grid == {"trainer.epochs": [1, 2]} and list(space.random) == ["optimizer.lr"]
    assert space.seed == 4 and space.trials == 2
    assert load_config(path).optimizer.lr == 0.05  # a plain run of the same file ignores the block


def test_ids_are_safe_short_and_unique(write_config):
    long_value = ",".join(f"[{'1,' * 30}1]" for _ in range(3))
    trials = expand(
        read_space(write_config(), grid_flags=[f"model.hidden={long_value}", "data.type=a/b:c,a\\\\b*c"])
    )
    ids = [trial.id for trial in trials]
    assert len(set(ids)) == len(ids) == 6
    for trial_id in ids:
        assert (
            re.fullmatch(r"[A-Za-z0-9._=+-]+", trial_id)
            and len(trial_id) < 100
            and not trial_id.endswith(".")
        )


def test_same_last_key_part_keeps_the_whole_key(write_config):
    trial = expand(read_space(write_config(), grid_flags=["a.lr=1", "b.lr=2"]))[0]
    assert trial.id == "000-a.lr=1-b.lr=2"


@pytest.mark.parametrize(
    "grid, random, trials, expected",
    [
        (["optimizer.lr="], [], None, "no values are listed"),
        (["optimizer.lr=0.1,,1"], [], None, "value number 2 is empty"),
        (["optimizer.lr"], [], None, "should look like KEY=VALUES"),
        (["x=[1,2"], [], None, "the brackets in [1,2 do not balance"),
        (['x="a'], [], None, "cannot read the values as YAML"),
        ([], ["optimizer.lr=logunifrom:1e-4:1"], 5, 'Did you mean "loguniform"?'),
        ([], ["optimizer.lr=uniform:1"], 5, "takes two numbers"),
        ([], ["optimizer.lr=uniform:a:b"], 5, "takes two numbers"),
        ([], ["optimizer.lr=uniform:1:0.1"], 5, "LOW must be below HIGH"),
        ([], ["optimizer.lr=loguniform:0:1"], 5, "LOW must be > 0"),
        ([], ["optimizer.lr=choice:"], 5, "no values are listed"),
        ([], ["optimizer.lr=uniform:0.1:1"], None, "--trials N"),
        (["optimizer.lr=0.1"], [], 3, "nothing is drawn"),
        ([], ["optimizer.lr=uniform:0.1:1"], 0, "trials should be a whole number >= 1"),
        ([], [], None, "nothing to sweep"),
        (["optimizer.lr=0.1"], ["optimizer.lr=uniform:0.1:1"], 2, "optimizer.lr is swept by more than one"),
    ],
)
def test_bad_sweep_flags_are_clear_errors(write_config, grid, random, trials, expected):
    with pytest.raises(UserError, match=re.escape(expected)):
        read_space(write_config(), grid, random, trials)


@pytest.mark.parametrize(
    "block, expected",
    [
        ("sweep: [1]\n", "line 8: sweep should be a mapping"),
        ("sweep:\n  grids: {optimizer.lr: [1]}\n", 'line 9: sweep.grids: unknown key. Did you mean "grid"?'),
        (
            "sweep:\n  grid:\n    optimizer.lr: []\n",
            "line 10: sweep.grid.optimizer.lr should be a non-empty list",
        ),
        (
            "sweep:\n  random:\n    optimizer.lr: normal:0:1\n",
            'line 10: sweep.random.optimizer.lr: "normal" is not a distribution',
        ),
    ],
)
def test_bad_sweep_block_names_the_line(write_config, block, expected):
    with pytest.raises(UserError, match=re.escape(expected)):
        read_space(write_config(LINREG + block))
