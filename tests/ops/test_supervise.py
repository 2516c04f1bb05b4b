"""bin/supervise, under which bin/serve runs the web app, the scheduler and the city
simulator: a child that exits is started again; stopping the supervisor stops the child."""

import os
import signal
import subprocess
import time

from tests.jobs.test_process import ROOT
from tests.jobs.test_process import wait_for

SUPERVISE = os.path.join(ROOT, "bin", "supervise")


def start(tmp_path, *command):
    env = dict(os.environ, SUPERVISE_DELAY="0.1")
    log = open(tmp_path / "supervise.log", "wb")  # noqa: SIM115 - closed with the process below
    proc = subprocess.Popen([SUPERVISE, "child", *command], stdout=log, stderr=subprocess.STDOUT, env=env)
    return proc, log


def test_a_crashed_child_is_started_again(tmp_path):
    runs = tmp_path / "runs"
    proc, log = start(tmp_path, "sh", "-c", f"echo run >> {runs}; exit 3")
    try:
        wait_for(lambda: runs.exists() and len(runs.read_text().splitlines()) >= 3, timeout=15, what="two restarts")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        log.close()
    assert "supervise: child exited with status 3; restarting" in (tmp_path / "supervise.log").read_text()


def test_stopping_the_supervisor_stops_the_child(tmp_path):
    pid_file = tmp_path / "pid"
    proc, log = start(tmp_path, "sh", "-c", f"echo $$ > {pid_file}; exec sleep 60")
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), what="the child to start")
        child = int(pid_file.read_text())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        log.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the child outlived its supervisor")
    assert "restarting" not in (tmp_path / "supervise.log").read_text()
