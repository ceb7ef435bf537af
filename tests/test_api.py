"""The Python API as a notebook user meets it: trainer.train's inputs and errors, the Run it returns
(also from load_run), and the notebook feedback that stays out of terminals and subprocesses."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import yaml
from matplotlib.figure import Figure

import trainer
from tests.conftest import LINREG, ROOT
from trainer.config.load import load_config

CONFIG = yaml.safe_load(LINREG)


def test_a_dict_yaml_text_a_file_and_a_config_train_the_same_run(tmp_path, write_config):
    runs = [
        trainer.train(source, {"trainer.epochs": 2}, runs_dir=tmp_path / str(n), progress=False)
        for n, source in enumerate([CONFIG, LINREG, write_config(), load_config(write_config())])
    ]
    assert all(run.history == runs[0].history for run in runs[1:])
    assert len(runs[0].history) == 2  # the override applied to every kind of source


def test_overrides_as_a_list_and_as_a_dict_of_dotted_keys_agree(tmp_path):
    listed = trainer.train(
        CONFIG, ["optimizer.lr=0.01", "trainer.epochs=1"], runs_dir=tmp_path, progress=False
    )
    given = trainer.train(
        CONFIG, {"optimizer.lr": 0.01, "trainer.epochs": 1}, runs_dir=tmp_path, progress=False
    )
    assert listed.config.optimizer.lr == given.config.optimizer.lr == 0.01
    assert listed.history == given.history


@pytest.mark.parametrize(
    "source, overrides, expected",
    [
        (
            CONFIG,
            {"optimizer.lrr": 0.1},
            'config key optimizer.lrr=0.1: unknown key optimizer.lrr. Did you mean "lr"?',
        ),
        (CONFIG, ["optimizer.lrr=0.1"], 'config key "optimizer.lrr=0.1": unknown key optimizer.lrr.'),
        (CONFIG, ["epochs"], 'config key "epochs" should look like key=value'),
        (
            LINREG.replace("lr: 0.05", "lr: -1"),
            (),
            "the YAML text, line 6: optimizer.lr = -1 is out of range",
        ),
        (
            {**CONFIG, "model": "linearr"},
            (),
            'the config dict: model.type: there is no model called "linearr"',
        ),
        (42, (), "a config is a file's path, YAML text, a dict of its keys or a Config; got int."),
    ],
)
def test_api_errors_name_the_config_key_and_are_value_errors(tmp_path, source, overrides, expected):
    with pytest.raises(trainer.ConfigError) as raised:
        trainer.train(source, overrides, runs_dir=tmp_path, progress=False)
    assert expected in str(raised.value)
    assert "command-line" not in str(raised.value)
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, trainer.UserError)


def test_the_run_predicts_and_plots_in_the_datas_own_units(tmp_path):
    run = trainer.train(CONFIG, runs_dir=tmp_path, progress=False)
    X = run.experiment.splits.dataset.X
    scaled = (X - run.experiment.splits.feature_mean) / run.experiment.splits.feature_scale
    assert np.allclose(run.predict(X), np.asarray(run.model(scaled))[:, 0])
    assert run.evaluate("val")["loss"] == pytest.approx(run.history[-1]["val_loss"])
    figures = run.plot()
    assert set(figures) == {"loss"} and all(isinstance(f, Figure) for f in figures.values())
    assert '<img src="data:image/png;base64,' in figures._repr_html_()
    assert list(run.history_frame().columns) == ["train_loss", "val_loss", "val_r2"]
    assert str(run.folder) in run._repr_html_() and "completed" in run._repr_html_()
    with pytest.raises(trainer.UserError, match="predict_proba is for classifiers"):
        run.predict_proba(X)


def test_load_run_gives_back_the_same_kind_of_run(tmp_path):
    iris = {
        "data": "iris",
        "model": "softmax_regression",
        "loss": "cross_entropy",
        "optimizer": {"type": "sgd", "lr": 0.1},
        "trainer": {"epochs": 3},
    }
    run = trainer.train(iris, runs_dir=tmp_path, progress=False)
    again = trainer.load_run(run.folder, "last")
    assert type(again) is type(run) and again.checkpoint == "last"
    assert again.history == run.history and again.summary == run.summary
    rows = run.experiment.splits.dataset.X[:4]
    assert np.array_equal(again.predict_proba(rows), run.predict_proba(rows))
    assert np.allclose(run.predict_proba(rows).sum(axis=1), 1)
    assert list(run.predict_proba(rows).argmax(axis=1)) == list(run.predict(rows))


def test_progress_must_be_one_of_its_choices(tmp_path):
    with pytest.raises(
        trainer.UserError, match=r'progress should be "auto", "bar", "plot" or False; got \'yes\''
    ):
        trainer.train(CONFIG, runs_dir=tmp_path, progress="yes")


def test_outside_a_notebook_no_live_feedback_runs(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        import trainer
        from trainer.runs.live import feedback
        for progress in ("auto", "bar", "plot", True):
            live, terminal_bar = feedback(progress)
            assert live == [] and terminal_bar == (progress != "plot"), progress
        trainer.train({LINREG!r}, runs_dir={str(tmp_path)!r})
        assert "IPython" not in sys.modules
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "it/s" not in result.stderr and "step/s" not in result.stderr  # stderr is no terminal: no bar
