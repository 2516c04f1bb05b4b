"""The real scheduler process (`flask --app app jobs run`): one at a time, and exactly once across SIGKILL."""

import os
import signal
import subprocess
import sys
import time

import pytest

from jobs.table import JOBS
from models import JobRun
from models import Outbox
from models import UpstreamPush
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from upstream.signing import Signer
from upstream.simulator import Server
from upstream.simulator import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP_ID, APP_SECRET = "huyi-hcp", "process-test-secret"


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def toml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def write_config(tmp_path, database_url, sim: Server | None = None):
    others = [row["id"] for row in JOBS if row["id"] != "upstream.push"]
    upstream = "enabled = false\n"
    if sim is not None:
        upstream = (
            f'enabled = true\nurl = "{sim.url}"\nquery_url = "{sim.query_url}"\napp_id = "{APP_ID}"\n'
            f'app_secret = "{APP_SECRET}"\ndata_source = "133"\nbatch_size = 5\ntimeout_seconds = 5\n'
            "retries = 1\nbackoff_seconds = 1\nbackoff_max_seconds = 2\n"
        )
    path = tmp_path / "scheduler.toml"
    path.write_text(
        f'[app]\nsecret_key = "process-test"\n[database]\nurl = "{database_url}"\n[upstream]\n{upstream}'
        f'[jobs]\nlock_poll_seconds = 1\nintervals = ["upstream.push=1"]\ndisabled = {toml_list(others)}\n'
    )
    return path


class Scheduler:
    """One `flask --app app jobs run` process, its output in a file."""

    def __init__(self, tmp_path, config, name):
        self.log_path = tmp_path / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
        env.update(HCP_CONFIG=str(config), PYTHONPATH=ROOT)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "jobs", "run"],
                cwd=tmp_path,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.pid = self.proc.pid

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


@pytest.fixture
def schedulers():
    started = []
    yield started
    for scheduler in started:
        scheduler.stop()


def push_job_pid():
    with db.connection_context():
        row = JobRun.get_or_none(JobRun.job_id == "upstream.push")
        return (row.pid, row.runs) if row else (None, 0)


def test_a_second_scheduler_stays_idle_until_the_first_is_gone(app, tmp_path, database_url, schedulers):
    config = write_config(tmp_path, database_url)
    first = Scheduler(tmp_path, config, "first")
    schedulers.append(first)
    wait_for(lambda: push_job_pid()[0] == first.pid, what="the first scheduler's job runs")
    second = Scheduler(tmp_path, config, "second")
    schedulers.append(second)
    wait_for(lambda: "another scheduler holds the lock" in second.output, what="the second scheduler to wait")
    runs_before = push_job_pid()[1]
    # The first one keeps working …
    wait_for(lambda: push_job_pid()[1] >= runs_before + 2, what="two more runs of the first scheduler")
    assert push_job_pid()[0] == first.pid
    # … and only the first one.
    assert "scheduler lock acquired" not in second.output
    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(5)
    wait_for(lambda: push_job_pid()[0] == second.pid, timeout=15, what="the second scheduler to take over")
    assert "scheduler lock acquired" in second.output
    assert second.stop() == 0
    assert "lock released" in second.output


def rate_many(app, window, count):
    with app.app_context(), db.connection_context():
        for n in range(count):
            level = 5 - n % 5
            labels = {5: ["501"], 4: ["401"], 3: ["301"], 2: ["201"], 1: ["101"]}[level]
            request = RatingRequest(level=level, channel="pad", labels=labels, window=window, rater_ref="device:pad-1")
            submit_rating(request)


def pending_rows():
    with db.connection_context():
        return list(Outbox.select().where((Outbox.kind == "upstream.rating") & (Outbox.state == "pending")))


def test_a_scheduler_killed_mid_batch_delivers_every_rating_exactly_once_after_restart(
    app, make, tmp_path, database_url, schedulers
):
    rate_many(app, make.police_window, 20)
    # 30 % of requests fail; the others are stored at once and answered only after 0.5–1 s.
    simulator = Simulator(Signer("hmac-sha256", APP_ID, APP_SECRET), fail_rate=0.3, delay=1.0, seed=11)
    with Server(simulator) as sim:
        config = write_config(tmp_path, database_url, sim)
        first = Scheduler(tmp_path, config, "first")
        schedulers.append(first)
        wait_for(lambda: simulator.stats["in_flight"] > 0, what="a batch in flight")
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(5)
        with db.connection_context():
            eval_ids = {p.rating_id: p.eval_id for p in UpstreamPush.select()}
        # The crash window was hit: the city holds records that we had not marked as sent.
        unmarked = [row for row in pending_rows() if eval_ids.get(row.data["rating_id"]) in simulator.records]
        assert unmarked
        assert len(pending_rows()) > 0

        second = Scheduler(tmp_path, config, "second")
        schedulers.append(second)
        wait_for(lambda: not pending_rows(), timeout=90, what="the queue to drain")
        assert second.stop() == 0

    with db.connection_context():
        final = {p.rating_id: p.eval_id for p in UpstreamPush.select()}
        assert {p.state for p in UpstreamPush.select()} == {"accepted"}
    assert len(final) == 20
    # The same evalId as before the crash, and each stored exactly once.
    assert all(final[rating_id] == eval_id for rating_id, eval_id in eval_ids.items())
    assert sorted(simulator.records) == sorted(final.values())
    assert simulator.stats["duplicates"] >= len(unmarked)


def test_a_rating_reaches_the_city_within_ten_seconds_of_its_creation(app, make, tmp_path, database_url, schedulers):
    simulator = Simulator(Signer("hmac-sha256", APP_ID, APP_SECRET))
    with Server(simulator) as sim:
        config = write_config(tmp_path, database_url, sim)
        # The production interval of the push job, not the test override.
        config.write_text(config.read_text().replace('intervals = ["upstream.push=1"]', "intervals = []"))
        scheduler = Scheduler(tmp_path, config, "scheduler")
        schedulers.append(scheduler)
        wait_for(lambda: push_job_pid()[0] == scheduler.pid, what="the scheduler's first run")
        created = time.monotonic()
        rate_many(app, make.police_window, 1)
        wait_for(lambda: len(simulator.records) == 1, timeout=10, what="the rating at the city")
        assert time.monotonic() - created < 10
