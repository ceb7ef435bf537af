"""Every signal ends a sweep's whole process tree (the sweep, its fork server and its workers) within
seconds, and Ctrl-C or SIGTERM print the command that resumes it (issue 15, item 5)."""

import os
import signal
import subprocess
import sys
import time

import pytest

import trainer
from tests.conftest import LINREG, ROOT
from trainer.runs.folder import run_lock
from trainer.sweeps import sweep

# Trials that train far longer than the test waits: they are running when the signal comes.
ENDLESS = LINREG.replace("epochs: 5", "epochs: 100000")


def processes_in_session(session: int) -> list[str]:
    """The live processes of a session, as 'PID COMMAND': a process outliving its parent stays in it."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{entry}/stat").read() if entry.isdigit() else ""
            if stat and os.getsid(int(entry)) == session and stat.rpartition(")")[2].split()[0] != "Z":
                found.append(f"{entry} {open(f'/proc/{entry}/cmdline').read().replace(chr(0), ' ')[:120]}")
        except (OSError, ProcessLookupError):  # it ended while we looked
            pass
    return found


@pytest.mark.slow  # a few seconds each: a sweep starts its workers, then is stopped
@pytest.mark.parametrize("how", ["ctrl-c twice", "sigterm", "sigkill"])
def test_a_stopped_sweep_leaves_no_process_behind(write_config, tmp_path, how):
    command = [sys.executable, "-m", "trainer", "sweep", str(write_config(ENDLESS))]
    command += ["--grid", "optimizer.lr=0.01,0.02", "--workers", "2", "--runs-dir", str(tmp_path)]
    sweep = subprocess.Popen(
        [*command, "--no-progress"], cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("tiny-sweep/*/*/checkpoints/last.npz"))) < 2:  # both trials train
            assert sweep.poll() is None and time.monotonic() < deadline, sweep.communicate()
            time.sleep(0.1)
        if how == "ctrl-c twice":  # a terminal sends Ctrl-C to the whole process group
            os.killpg(sweep.pid, signal.SIGINT)
            time.sleep(0.3)
            os.killpg(sweep.pid, signal.SIGINT)
        else:
            sweep.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        # communicate returns once no process holds the sweep's stdout and stderr any more
        out, err = sweep.communicate(timeout=30)
        deadline = time.monotonic() + 10
        while processes_in_session(sweep.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_in_session(sweep.pid) == []
    finally:
        with_leftovers_killed(sweep.pid)
    if how != "sigkill":
        assert sweep.returncode == 130 and "Traceback" not in err, err
        assert f"--resume {next(tmp_path.glob('tiny-sweep/*'))}" in err


def with_leftovers_killed(session: int) -> None:
    """Whatever the test's outcome, no process of the sweep outlives it."""
    for line in processes_in_session(session):
        os.kill(int(line.split()[0]), signal.SIGKILL)


def test_a_resumed_sweep_leaves_a_trial_folder_in_use_alone(write_config, tmp_path):
    # A worker of a killed sweep may still be saving its trial when the sweep is resumed.
    config = write_config()
    trial = trainer.train(config, runs_dir=tmp_path).folder
    before = {path: path.read_bytes() for path in trial.rglob("*") if path.is_file()}
    with run_lock(trial):
        outcome = sweep.run_trial(sweep.TrialTask(str(config), (), str(trial)))
    assert outcome.status == "interrupted" and "is in use" in outcome.error
    assert {path: path.read_bytes() for path in trial.rglob("*") if path.is_file()} == before
