"""Every JSON file the trainer writes parses in JavaScript too: null, never NaN or Infinity (issue 15, item 11)."""

import json
import math

import pytest

import trainer
from tests.conftest import LINREG
from trainer.files import write_json


def strict_json(path):
    """Parse as JavaScript's JSON.parse would: NaN, Infinity and -Infinity are errors."""

    def refuse(constant):
        raise ValueError(f"{path.name} holds {constant}, which JSON.parse refuses")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_write_json_writes_null_for_values_that_are_not_finite(tmp_path):
    path = tmp_path / "out.json"
    write_json(path, {"a": math.nan, "b": [1.5, -math.inf, {"c": math.inf}], "d": (2, "x"), "e": None})
    assert strict_json(path) == {"a": None, "b": [1.5, None, {"c": None}], "d": [2, "x"], "e": None}


@pytest.mark.filterwarnings("ignore:R\\^2 score is not well-defined")
def test_a_summary_whose_r2_is_undefined_says_null(write_config, tmp_path):
    # One validation row: R² is undefined there (scikit-learn gives NaN).
    config = write_config(
        LINREG.replace("n_samples: 200", "n_samples: 20").replace("val_fraction: 0.25", "val_fraction: 0.05")
    )
    run = trainer.train(config, runs_dir=tmp_path / "runs")
    summary = strict_json(run.folder / "summary.json")
    assert summary["val_r2"] is None and summary["val_loss"] is not None
    strict_json(run.folder / "environment.json")
