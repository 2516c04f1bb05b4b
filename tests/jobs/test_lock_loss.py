"""A scheduler that loses its lock does not die: it pauses the jobs, stands by while
another process holds the lock, takes it again, resumes, and says so (a log line,
its state for /healthz). On PostgreSQL the loss is the lock connection terminated;
on SQLite, the lock file deleted under it (another process would lock a new file).
"""

import logging
import os
import time

import psycopg2
import pytest

from core import clock
from jobs import runner
from jobs.lock import PostgresLock
from jobs.lock import SchedulerLock
from jobs.status import scheduler_health
from jobs.watch import Heartbeat
from jobs.watch import LockWatchdog
from models import SchedulerProcess
from models import db
from tests.conftest import BACKEND
from tests.conftest import PG_URL

from .test_process import Scheduler
from .test_process import push_job_pid
from .test_process import wait_for
from .test_process import write_config
from .test_runner import jobs_settings


def lose(lock) -> None:
    """Take the lock away from its holder the way it happens in production."""
    if isinstance(lock, PostgresLock):
        conn = psycopg2.connect(PG_URL, connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cur:
            # Only the lock's own session, in our own database.
            pid = lock.backend_pid()
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid = %s AND datname = current_database()",
                (pid,),
            )
            # Termination is a signal: wait until the session is gone.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(0.01)
        conn.close()
    else:
        os.unlink(lock.path)


def states():
    with db.connection_context():
        return [row.state for row in SchedulerProcess.select()]


def test_a_lost_lock_pauses_the_jobs_stands_by_then_takes_the_lock_again(app, caplog):
    caplog.set_level(logging.INFO, logger="jobs")
    url = app.config["SETTINGS"].database.url
    scheduler = runner.build_scheduler(app, runner.load_table(jobs_settings(app)), jobs_settings(app))
    ids = [job.id for job in scheduler.get_jobs()]
    lock, other = SchedulerLock.for_url(url), SchedulerLock.for_url(url)
    assert lock.try_acquire()
    watchdog = LockWatchdog(scheduler, lock, ids, Heartbeat())
    try:
        watchdog.check()
        assert states() == ["active"]
        lose(lock)
        assert not lock.alive()
        assert other.try_acquire()  # another process takes over while ours is cut off
        watchdog.check()
        assert "the scheduler lock was lost" in caplog.text
        assert all(job.next_run_time is None for job in scheduler.get_jobs() if job.id in ids)  # paused
        assert states() == ["standby"] and not watchdog.holding
        with app.app_context(), db.connection_context():
            assert scheduler_health()["status"] == "standby"
        other.release()
        watchdog.check()
        assert watchdog.holding and lock.alive()
        assert "scheduler lock taken again" in caplog.text
        assert all(job.next_run_time is not None for job in scheduler.get_jobs() if job.id in ids)  # resumed
        assert states() == ["active"]
    finally:
        lock.release()
        other.release()


def test_the_scheduler_process_survives_losing_its_lock(app, tmp_path, database_url, schedulers):
    clock.freeze(None)  # the process beats on the real clock
    config = write_config(tmp_path, database_url)
    text = config.read_text().replace("lock_poll_seconds = 1", "lock_poll_seconds = 1\nwatchdog_seconds = 1")
    config.write_text(text)
    process = Scheduler(tmp_path, config, "scheduler")
    schedulers.append(process)
    wait_for(lambda: push_job_pid()[0] == process.pid, what="the scheduler's first run")
    wait_for(lambda: states() == ["active"], what="its heartbeat")
    if BACKEND == "postgresql":
        holder = PostgresLock(database_url)
        holder.conn = _lock_session(database_url)
        lose(holder)
    else:
        os.unlink(database_url.removeprefix("sqlite:///") + ".scheduler.lock")
    wait_for(lambda: "the scheduler lock was lost" in process.output, timeout=20, what="the loss to be noticed")
    wait_for(lambda: "scheduler lock taken again" in process.output, timeout=20, what="the lock taken again")
    assert process.proc.poll() is None  # alive: it did not exit
    runs = push_job_pid()[1]
    wait_for(lambda: push_job_pid()[1] >= runs + 2, what="the jobs to run again")
    with app.app_context(), db.connection_context():
        assert scheduler_health()["status"] in ("ok", "late")
    assert process.stop() == 0


class _Session:
    """A stand-in connection that names the scheduler's lock session (found in pg_locks)."""

    def __init__(self, pid):
        self.pid, self.closed = pid, 0

    def get_backend_pid(self):
        return self.pid


def _lock_session(url):
    from jobs.lock import PG_LOCK_ID

    conn = psycopg2.connect(url, connect_timeout=5)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (PG_LOCK_ID,),
        )
        pid = cur.fetchone()[0]
    conn.close()
    return _Session(pid)


@pytest.fixture
def schedulers():
    started = []
    yield started
    for scheduler in started:
        scheduler.stop()
