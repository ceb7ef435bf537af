"""Inputs and events that once ended in a traceback now give a clear error (one paragraph, exit
status 2, no run folder left) or a documented fallback (issue 15, item 10: bad values in the config,
broken files, disk, gradcheck arguments, shape changes, signals)."""

import signal
import subprocess
import sys
import textwrap
import time

from tests.conftest import LINREG, ROOT


def mgtrain(*args, cwd=ROOT, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "trainer", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_clear_error(done, *phrases):
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr, done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, done.stderr


def test_sigterm_during_start_up_is_an_interruption_like_during_training(tmp_path):
    # A model whose construction takes long: the signal comes while the run is being built.
    (tmp_path / "slow.py").write_text(
        textwrap.dedent(
            """\
            import pathlib, time

            class Slow:
                def __init__(self, n_inputs, n_outputs):
                    pathlib.Path(__file__).with_name("building").touch()
                    time.sleep(60)
            """
        )
    )
    config = tmp_path / "config.yaml"
    config.write_text(LINREG.replace("model: linear", 'model: {type: "slow.py:Slow"}'))
    command = [sys.executable, "-m", "trainer", "train", str(config), "--runs-dir", str(tmp_path / "runs")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "building").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130 and err.strip() == "interrupted.", err
    assert not (tmp_path / "runs").exists()
