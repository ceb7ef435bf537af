"""The command line, run in this process through `main(argv)`; a few smoke tests start real processes:
the console script, `python -m trainer`, a pipe through `head` (signals and kill -9: test_resume.py)."""

import io
import json
import os
import runpy
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import NamedTuple

import pytest

from tests.conftest import CONFIGS, LINREG, ROOT
from trainer.cli.main import main


class Result(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def captured(call, cwd=None) -> Result:
    """`call()`'s exit status and what it printed, run from the folder `cwd`."""
    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd or previous)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = call()
            except SystemExit as exit_:  # a script's sys.exit; argparse: --help, or arguments it refuses
                status = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.chdir(previous)
    return Result(status, out.getvalue(), err.getvalue())


def run_cli(*args, cwd=None) -> Result:
    """`mgtrain ARGS` in this process, from the folder `cwd`."""
    return captured(lambda: main(list(map(str, args))), cwd)


def train_cli(*args, cwd) -> Result:
    """`mgtrain train ARGS` (as `python scripts/train.py ARGS`) in this process, from the folder `cwd`."""
    return run_cli("train", *args, cwd=cwd)


def run_script(name: str, *args, cwd=None) -> Result:
    """`python scripts/NAME ARGS`, the script run in this process (as __main__, with its sys.argv)."""
    script = str(ROOT / "scripts" / name)
    saved = sys.argv
    sys.argv = [script, *map(str, args)]
    try:
        return captured(lambda: runpy.run_path(script, run_name="__main__"), cwd)
    finally:
        sys.argv = saved


def run_process(command, **kwargs):
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(command, text=True, timeout=120, **kwargs)


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


def test_console_script_prints_its_version():
    result = run_process(["mgtrain", "--version"])
    assert (
        result.returncode == 0
        and result.stdout.startswith("mgtrain ")
        and result.stdout.split()[1][0].isdigit()
    )


def test_python_dash_m_trainer_is_the_same_program():
    result = run_process([sys.executable, "-m", "trainer", "--help"])
    assert result.returncode == 0 and "verbs:" in result.stdout and "mgtrain CONFIG" in result.stdout


def test_a_pipe_closed_by_head_prints_no_traceback():
    result = run_process("mgtrain list losses | head -1", shell=True)
    assert result.stdout == "## losses\n"
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
def test_a_reader_gone_before_the_first_line_is_exit_141_and_silence(buffered):
    """The read end closed before the program starts: its first write fails, whether that is a print
    (PYTHONUNBUFFERED) or the flush of everything printed (the usual, when stdout is a pipe)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    try:
        result = run_process(["mgtrain", "list", "losses"], stdout=write_end, stderr=subprocess.PIPE, env=env)
    finally:
        os.close(write_end)
    assert result.returncode == 141 and result.stderr == ""


@pytest.mark.parametrize("verb", ["train", "sweep", "evaluate", "descend", "gradcheck"])
def test_each_script_is_its_verb(verb):
    result = run_script(f"{verb}.py", "--help")
    assert result.returncode == 0 and result.stdout.startswith(f"usage: mgtrain {verb} ")


def test_help_lists_the_verbs_and_train_help_the_overrides():
    result = run_cli("--help")
    assert result.returncode == 0 and "verbs:" in result.stdout and "exit status:" in result.stdout
    result = run_cli("train", "--help")
    assert result.returncode == 0 and "key=value" in result.stdout


def test_a_misspelt_verb_is_taken_for_a_config_that_does_not_exist(tmp_path):
    result = run_cli("trian", CONFIGS / "linreg.yaml", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: config file trian does not exist")
    assert "Traceback" not in result.stderr and not (tmp_path / "runs").exists()


def test_help_and_check_import_no_heavy_library():
    """A fresh process: whatever an earlier test imported would be in this one's sys.modules."""
    check = [str(CONFIGS / "linreg.yaml"), "--check", "optimizer.lr=0.2"]
    code = (
        "import sys\nfrom trainer.cli.main import main\n"
        f"for args in (['--help'], {check!r}):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "heavy = [m for m in ('sklearn', 'matplotlib', 'dask', 'distributed', 'scipy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = run_process([sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr


def test_check_prints_the_resolved_config(tmp_path):
    result = train_cli(CONFIGS / "linreg.yaml", "--check", "optimizer.lr=0.2", cwd=tmp_path)
    assert result.returncode == 0 and "lr: 0.2" in result.stdout and "is valid" in result.stderr
    assert not (tmp_path / "runs").exists()
