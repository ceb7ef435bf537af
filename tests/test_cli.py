import json
import subprocess
import sys

import pytest

from tests.conftest import CONFIGS, LINREG, ROOT


def train_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_train_end_to_end_with_overrides(tmp_path):
    result = train_cli(
        CONFIGS / "linreg.yaml",
        "optimizer.lr=0.05",
        "trainer.epochs=5",
        "--runs-dir",
        tmp_path / "runs",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "runs" / "linreg").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["epochs_completed"] == 5 and summary["status"] == "completed"
    assert "lr: 0.05" in (folder / "config.yaml").read_text()
    assert "least squares" in result.stdout and "train_loss" in result.stdout
    assert f"run folder: {folder}" in result.stdout


def test_default_runs_dir_is_runs_in_the_working_folder(tmp_path, write_config):
    result = train_cli(write_config(), "trainer.epochs=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "runs" / "tiny").iterdir())) == 1


BAD_CSV = (
    "data: {type: csv, path: d.csv, target: y}\nmodel: linear\nloss: mse\noptimizer: {type: sgd, lr: 0.1}\n"
)


@pytest.mark.parametrize(
    "config_text, csv_text, overrides, expected",
    [
        (None, None, [], "does not exist"),
        ("model: [linear\n", None, [], "is not valid YAML"),
        (LINREG + "epochs: 3\n", None, [], "unknown key epochs"),
        (LINREG.replace("lr: 0.05", "lr: high"), None, [], "optimizer.lr = 'high' is not valid"),
        (LINREG, None, ["optimizer.lr"], "should look like key=value"),
        (LINREG, None, ["optimiser.lr=0.1"], 'Did you mean "optimizer"?'),
        (BAD_CSV, "a,b\n1,2\n", [], 'column "y" is not in'),
        (BAD_CSV, "a,y\n1,2\nx,3\n", [], "'x' is not a number"),
    ],
    ids=[
        "missing file",
        "invalid yaml",
        "unknown key",
        "wrong type",
        "malformed override",
        "unknown override",
        "no target column",
        "non-numeric cell",
    ],
)
def test_bad_input_is_one_paragraph_exit_2_and_no_run_folder(
    tmp_path, config_text, csv_text, overrides, expected
):
    config = tmp_path / "config.yaml"
    if config_text is not None:
        config.write_text(config_text)
    if csv_text is not None:
        (tmp_path / "d.csv").write_text(csv_text)
    result = train_cli(config, *overrides, "--runs-dir", tmp_path / "runs", cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_unwritable_runs_dir_is_a_clear_error(tmp_path, write_config):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = train_cli(write_config(), "--runs-dir", blocker, cwd=tmp_path)
    assert (
        result.returncode == 2
        and "cannot create a run folder" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_console_script_and_help():
    result = subprocess.run(["mgtrain", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "key=value" in result.stdout


@pytest.mark.parametrize("args", [["--help"], [str(CONFIGS / "linreg.yaml"), "--check", "optimizer.lr=0.2"]])
def test_help_and_check_import_no_heavy_library(args):
    code = (
        "import sys\nfrom trainer.cli.main import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sklearn', 'matplotlib', 'dask', 'distributed', 'scipy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_check_prints_the_resolved_config(tmp_path):
    result = train_cli(CONFIGS / "linreg.yaml", "--check", "optimizer.lr=0.2", cwd=tmp_path)
    assert result.returncode == 0 and "lr: 0.2" in result.stdout and "is valid" in result.stderr
    assert not (tmp_path / "runs").exists()
