import csv
import json
import math
import os
import shutil
import tempfile
import threading
import time
import tomllib

import numpy as np
import pytest
import yaml

import trainer
from tests.conftest import LINREG, ROOT
from tests.test_cli import run_script
from trainer.cli.main import main, sweep_alias
from trainer.sweeps import sweep

GRID = ["--grid", "optimizer.lr=0.02,0.2", "--grid", "trainer.batch_size=16,64"]
IDS = [
    "000-lr=0.02-batch_size=16",
    "001-lr=0.02-batch_size=64",
    "002-lr=0.2-batch_size=16",
    "003-lr=0.2-batch_size=64",
]


def read_csv(path):
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def only_folder(parent):
    (folder,) = parent.iterdir()
    return folder


@pytest.fixture(scope="module")
def pool_sweep(tmp_path_factory):
    """A 2 x 2 grid on the local process pool: (config path, sweep folder, exit status)."""
    root = tmp_path_factory.mktemp("pool")
    config = root / "tiny.yaml"
    config.write_text(LINREG)
    status = sweep_main(
        [str(config), *GRID, "--workers", "2", "--runs-dir", str(root / "runs"), "--no-progress"]
    )
    return config, only_folder(root / "runs" / "tiny-sweep"), status


def test_sweep_folder_holds_the_trials_and_summaries_best_first(pool_sweep, tmp_path):
    config, folder, status = pool_sweep
    assert status == 0
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [*IDS, "sweep.yaml", "summary.csv", "summary.md", "curves.png"]
    )
    width = int.from_bytes((folder / "curves.png").read_bytes()[16:20], "big")
    assert width > 8 * 110  # the legend beside the axes is in the picture, not cut off at its edge
    asked = yaml.safe_load((folder / "sweep.yaml").read_text())
    assert asked["grid"] == {"optimizer.lr": [0.02, 0.2], "trainer.batch_size": [16, 64]} and asked[
        "config"
    ] == str(config.resolve())
    rows = read_csv(folder / "summary.csv")
    assert list(rows[0]) == [
        "trial",
        "optimizer.lr",
        "trainer.batch_size",
        "status",
        "val_loss",
        "best_val_loss",
        "seconds",
        "error",
    ]
    assert sorted(row["trial"] for row in rows) == IDS and {row["status"] for row in rows} == {"completed"}
    best = [float(row["best_val_loss"]) for row in rows]
    assert best == sorted(best)
    for row in rows:
        val_losses = [float(epoch["val_loss"]) for epoch in read_csv(folder / row["trial"] / "epochs.csv")]
        assert float(row["best_val_loss"]) == min(val_losses) and float(row["val_loss"]) == val_losses[-1]
        assert (
            float(row["optimizer.lr"])
            == yaml.safe_load((folder / row["trial"] / "config.yaml").read_text())["optimizer"]["lr"]
        )
    markdown = (folder / "summary.md").read_text().splitlines()
    assert len(markdown) == 2 + 4 and markdown[2].startswith(f"| {rows[0]['trial']} | ")
    # A trial is an ordinary run: the same numbers as training that config directly.
    direct = trainer.train(config, ["optimizer.lr=0.2", "trainer.batch_size=16"], runs_dir=tmp_path)
    assert (direct.folder / "epochs.csv").read_text() == (folder / IDS[2] / "epochs.csv").read_text()


def test_a_run_whose_loss_rises_to_1e283_still_draws_its_plot(write_config, tmp_path):
    run = trainer.train(
        write_config(),
        ["optimizer.lr=1e9", "trainer.batch_size=64", "trainer.divergence_factor=1e300"],
        runs_dir=tmp_path,
    )
    assert 1e250 < run.summary["val_loss"] < math.inf and (run.folder / "loss.png").stat().st_size > 0


def test_dask_local_cluster_gives_the_same_numbers_as_the_process_pool_and_leaves_no_scratch_space(
    pool_sweep, tmp_path, monkeypatch
):
    import dask

    config, pool_folder, _ = pool_sweep
    # where Dask would put its dask-scratch-space by default, and where the sweep's own temporaries go
    (dask_default := tmp_path / "dask-default").mkdir()
    (temporaries := tmp_path / "temporaries").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporaries))
    monkeypatch.setitem(dask.config.config, "temporary-directory", str(dask_default))
    status = sweep_main(
        [
            str(config),
            *GRID,
            "--dask",
            "local",
            "--workers",
            "2",
            "--runs-dir",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert status == 0
    dask_folder = only_folder(tmp_path / "tiny-sweep")
    for trial_id in IDS:
        for log in ("epochs.csv", "steps.csv"):
            assert (dask_folder / trial_id / log).read_text() == (pool_folder / trial_id / log).read_text()
    assert (
        read_csv(dask_folder / "summary.csv")[0]["trial"] == read_csv(pool_folder / "summary.csv")[0]["trial"]
    )
    assert not list(dask_default.iterdir()) and not list(temporaries.iterdir())


def test_resume_skips_finished_trials_and_reruns_the_others(pool_sweep, tmp_path):
    _, original, _ = pool_sweep
    folder = shutil.copytree(original, tmp_path / "sweep")
    interrupted = folder / IDS[1] / "summary.json"
    interrupted.write_text(json.dumps({**json.loads(interrupted.read_text()), "status": "interrupted"}))
    shutil.rmtree(folder / IDS[3])  # never started
    untouched = {
        trial_id: (folder / trial_id / "summary.json").stat().st_mtime_ns for trial_id in (IDS[0], IDS[2])
    }
    assert sweep_main(["--resume", str(folder), "--workers", "2", "--no-progress"]) == 0
    assert {
        trial_id: (folder / trial_id / "summary.json").stat().st_mtime_ns for trial_id in untouched
    } == untouched
    for trial_id in IDS:
        assert (folder / trial_id / "steps.csv").read_text() == (
            original / trial_id / "steps.csv"
        ).read_text()
    assert {row["status"] for row in read_csv(folder / "summary.csv")} == {"completed"}


@pytest.fixture
def csv_config(tmp_path):
    """A CSV regression config, a good data file and one with a non-numeric cell (it fails when loaded)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    rows = "\n".join(
        f"{a},{b},{2 * a - b + 0.1 * n}" for (a, b), n in zip(X.tolist(), rng.normal(size=80).tolist())
    )
    (tmp_path / "good.csv").write_text("a,b,y\n" + rows + "\n")
    (tmp_path / "bad.csv").write_text("a,b,y\n" + rows.replace("\n", "\nx,1,2\n", 1) + "\n")
    config = tmp_path / "csv.yaml"
    config.write_text(
        LINREG.replace(
            "{type: synthetic_linear, n_samples: 200, n_features: 2, noise: 0.1,",
            "{type: csv, path: good.csv, target: y,",
        )
    )
    return config


def test_fail_fast_stops_and_resume_goes_on_past_failing_and_diverging_trials(csv_config, tmp_path):
    args = [
        str(csv_config),
        "--grid",
        "data.path=bad.csv,good.csv",
        "--grid",
        "optimizer.lr=0.05,1e8",
        "--fail-fast",
    ]
    assert sweep_main([*args, "--workers", "1", "--runs-dir", str(tmp_path / "runs"), "--no-progress"]) == 1
    folder = only_folder(tmp_path / "runs" / "tiny-sweep")
    first = "000-path=bad.csv-lr=0.05"
    statuses = {row["trial"]: row["status"] for row in read_csv(folder / "summary.csv")}
    assert statuses == {
        first: "failed",
        "001-path=bad.csv-lr=1e+08": "not run",
        "002-path=good.csv-lr=0.05": "not run",
        "003-path=good.csv-lr=1e+08": "not run",
    }
    assert sorted(path.name for path in folder.iterdir() if path.is_dir()) == [first]
    failed_record = (folder / first / "summary.json").read_text()

    # Without --fail-fast a trial that raises or diverges is recorded and the others still run.
    assert sweep_main(["--resume", str(folder), "--workers", "2", "--no-progress"]) == 1  # 1: a trial raised
    assert (folder / first / "summary.json").read_text() == failed_record  # finished trials are not run again
    rows = read_csv(folder / "summary.csv")
    assert (
        rows[0]["trial"] == "002-path=good.csv-lr=0.05"
        and rows[0]["status"] == "completed"
        and rows[0]["error"] == ""
    )
    statuses = {
        row["trial"]: row["status"] for row in rows[1:]
    }  # no best value: in the order they were asked
    assert statuses == {
        first: "failed",
        "001-path=bad.csv-lr=1e+08": "failed",
        "003-path=good.csv-lr=1e+08": "diverged",
    }
    assert all(
        "'x' is not a number" in row["error"] and row["error"].startswith("UserError: ")
        for row in rows
        if row["status"] == "failed"
    )


def bad_input(args, capsys):
    status = sweep_main(args)
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--grid", "optimizer.lrr=0.1,0.2"], 'unknown key optimizer.lrr. Did you mean "lr"?'),
        (["--grid", "optimizer.lr=0.1,-1"], "trial 001-lr=-1 has a bad config, so no trial was started"),
        (["--grid", "trainer.batch_size=16,"], "value number 2 is empty"),
        (["--grid", "optimizer.lr="], "no values are listed"),
        (["--random", "optimizer.lr=gauss:0:1", "--trials", "3"], '"gauss" is not a distribution'),
        (["--random", "optimizer.lr=loguniform:-1:1", "--trials", "3"], "LOW must be > 0"),
    ],
)
def test_bad_input_is_exit_2_before_any_trial(write_config, tmp_path, capsys, flags, expected):
    status, err = bad_input([str(write_config()), *flags, "--runs-dir", str(tmp_path / "runs")], capsys)
    assert status == 2 and err.startswith("error: ") and expected in err
    assert not (tmp_path / "runs").exists()


def test_unreachable_scheduler_is_a_quick_clear_error(write_config, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sweep, "DASK_CONNECT_SECONDS", 1)
    started = time.perf_counter()
    status, err = bad_input(
        [
            str(write_config()),
            "--grid",
            "optimizer.lr=0.1",
            "--dask",
            "tcp://127.0.0.1:9",
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
        capsys,
    )
    assert status == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s" in err
    assert (
        time.perf_counter() - started < 15 and not (tmp_path / "runs").exists()
    )  # generous: a loaded machine


def test_resume_needs_a_sweep_folder_and_nothing_else(write_config, tmp_path, capsys):
    status, err = bad_input(["--resume", str(tmp_path)], capsys)
    assert status == 2 and "sweep.yaml cannot be read" in err
    with pytest.raises(SystemExit) as exit_info:
        sweep_main(["--resume", str(tmp_path), str(write_config())])
    assert exit_info.value.code == 2 and "give no config" in capsys.readouterr().err


def test_script_prints_one_paragraph_without_traceback(write_config, tmp_path):
    result = run_script(
        "sweep.py", write_config(), "--grid", "optimizer.lrr=0.1", "--runs-dir", tmp_path / "runs"
    )
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["mgtrain-sweep"].split(":")
    assert getattr(__import__(module, fromlist=[function]), function) is sweep_alias


def sweep_main(argv):
    return main(["sweep", *argv])


def long_trial_config(write_config):
    """A trial that trains for about a second, long enough to be killed in the middle, with a checkpoint
    every 100 steps (its epochs are too short for one at each: Checkpointer.SAVE_SECONDS)."""
    return write_config(
        LINREG.replace("n_samples: 200", "n_samples: 4000").replace(
            "epochs: 5, batch_size: 16", "epochs: 40, batch_size: 16, checkpoint_every: 100"
        )
    )


def wait_for(folder, pattern="*/*/steps.csv"):  # by default: until a trial has begun training
    while not list(folder.glob(pattern)):
        time.sleep(0.02)


def sweep_in_thread(args):
    result = {}
    thread = threading.Thread(target=lambda: result.update(status=sweep_main(args)))
    thread.start()
    return thread, result


@pytest.mark.slow  # about 10 s: two sweeps of trials that take a second
def test_a_killed_pool_worker_stops_the_sweep_and_resume_finishes_it(write_config, tmp_path):
    import psutil

    config = long_trial_config(write_config)
    args = [
        str(config),
        "--grid",
        "optimizer.lr=0.05,0.06",
        "--workers",
        "1",
        "--runs-dir",
        str(tmp_path),
        "--no-progress",
    ]
    thread, result = sweep_in_thread(args)
    wait_for(tmp_path / "tiny-sweep", "*/*/checkpoints/last.npz")  # the trial has saved its first epoch
    (fork_server,) = [
        child for child in psutil.Process().children() if "forkserver" in " ".join(child.cmdline())
    ]
    (worker,) = fork_server.children()
    worker.kill()
    thread.join(timeout=60)
    folder = only_folder(tmp_path / "tiny-sweep")
    rows = {row["trial"]: row for row in read_csv(folder / "summary.csv")}
    assert result["status"] == 1
    assert [row["status"] for row in rows.values()] == ["interrupted", "not run"]
    assert "BrokenProcessPool" in rows["000-lr=0.05"]["error"]
    assert sweep_main(["--resume", str(folder), "--workers", "2", "--no-progress"]) == 0
    assert {row["status"] for row in read_csv(folder / "summary.csv")} == {"completed"}
    # The killed trial continued from its last checkpoint, to the same numbers as a run never stopped.
    direct = trainer.train(config, ["optimizer.lr=0.05"], runs_dir=tmp_path / "direct")
    assert (folder / "000-lr=0.05" / "steps.csv").read_text() == (direct.folder / "steps.csv").read_text()
    assert len(json.loads((folder / "000-lr=0.05" / "environment.json").read_text())["resumes"]) == 1


@pytest.mark.slow  # about 10 s: a cluster, a worker started twice
def test_a_killed_dask_worker_makes_its_trial_run_again(write_config, tmp_path):
    import distributed

    config = long_trial_config(write_config)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        (first_pid,) = client.run(os.getpid).values()
        thread, result = sweep_in_thread(
            [
                str(config),
                "--grid",
                "optimizer.lr=0.05",
                "--dask",
                cluster.scheduler_address,
                "--runs-dir",
                str(tmp_path),
                "--no-progress",
            ]
        )
        wait_for(tmp_path / "tiny-sweep")
        killed_at = time.time()
        os.kill(first_pid, 9)
        thread.join(timeout=60)
        (second_pid,) = client.run(os.getpid).values()
    assert result["status"] == 0 and second_pid != first_pid
    (trial,) = only_folder(tmp_path / "tiny-sweep").glob("000-*")
    assert json.loads((trial / "summary.json").read_text())["status"] == "completed"
    assert (trial / "config.yaml").stat().st_mtime > killed_at  # the trial started again after the kill
    steps_logged = [int(row["step"]) for row in read_csv(trial / "steps.csv")]
    assert steps_logged == list(range(1, len(steps_logged) + 1))  # run again from scratch, not appended to
