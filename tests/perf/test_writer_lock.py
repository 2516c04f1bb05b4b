"""SQLite writers queue on a file lock (models/pools.py): the next one goes the moment the
lock is free, and none waits longer than the busy timeout, in the main thread or another."""

import subprocess
import sys
import threading
import time

import pytest
from peewee import OperationalError

from models.pools import SqliteDatabase

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def database(tmp_path):
    database = SqliteDatabase(
        str(tmp_path / "w.db"), timeout=0.5, autoconnect=False, lock_type="IMMEDIATE", check_same_thread=False
    )
    with database.connection_context():
        database.execute_sql("CREATE TABLE t (x INTEGER)")
    yield database
    database.close_all()


def holder(database, seconds: float) -> subprocess.Popen:
    """Another process holding the writer lock for `seconds`."""
    proc = subprocess.Popen(  # noqa: S603 - this interpreter and a fixed script
        [sys.executable, "-c", HOLD, database._writer.path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def write(database) -> None:
    with database.connection_context(), database.atomic():
        database.execute_sql("INSERT INTO t VALUES (1)")


def run(attempt, in_thread: bool) -> None:
    if in_thread:
        worker = threading.Thread(target=attempt)
        worker.start()
        worker.join()
    else:
        attempt()


@pytest.mark.parametrize("in_thread", [False, True])
def test_a_writer_gives_up_after_the_busy_timeout_and_the_lock_is_free_after(database, in_thread):
    proc = holder(database, 3)
    errors = []

    def attempt():
        t0 = time.monotonic()
        try:
            write(database)
        except OperationalError as exc:
            errors.append((str(exc), time.monotonic() - t0))

    run(attempt, in_thread)
    proc.kill()
    proc.wait()
    proc.stdout.close()
    [(message, waited)] = errors
    assert "database is locked" in message and 0.4 < waited < 2.0
    write(database)  # nothing left held by the refused attempt
    with database.connection_context():
        assert database.execute_sql("SELECT COUNT(*) FROM t").fetchone()[0] == 1


@pytest.mark.parametrize("in_thread", [False, True])
def test_a_waiting_writer_goes_as_soon_as_the_lock_is_released(database, in_thread):
    proc = holder(database, 0.2)
    done = []

    def attempt():
        write(database)
        done.append(time.monotonic())

    t0 = time.monotonic()
    run(attempt, in_thread)
    proc.wait()
    proc.stdout.close()
    assert done and 0.1 < done[0] - t0 < 0.45


def test_a_write_outside_a_transaction_queues_on_the_writer_lock_too(database):
    proc = holder(database, 3)
    t0 = time.monotonic()
    with database.connection_context(), pytest.raises(OperationalError, match="writer queue"):
        database.execute_sql("INSERT INTO t VALUES (1)")  # autocommit: a transaction of its own
    assert time.monotonic() - t0 < 2.0
    proc.kill()
    proc.wait()
    proc.stdout.close()
    with database.connection_context():
        database.execute_sql("INSERT INTO t VALUES (2)")
        assert database.execute_sql("SELECT x FROM t").fetchall() == [(2,)]
        assert database.execute_sql("SELECT COUNT(*) FROM t").fetchone() == (1,)  # reads never queue


def test_wal_checkpoints_run_in_the_background_off_the_writer_queue(tmp_path, monkeypatch):
    """Every CHECKPOINT_EVERY commits a thread checkpoints the WAL (PASSIVE) on a connection of
    its own, and needs no writer lock: it finishes while a writer holds the lock."""
    from models import pools

    monkeypatch.setattr(pools, "CHECKPOINT_EVERY", 5)
    database = SqliteDatabase(
        str(tmp_path / "c.db"),
        pragmas={"journal_mode": "wal", "wal_autocheckpoint": 0},  # only ours: SQLite's own off
        timeout=1,
        autoconnect=False,
        lock_type="IMMEDIATE",
        check_same_thread=False,
    )
    release, runs = threading.Event(), []
    real = pools.Checkpointer._checkpoint

    def checkpoint(self):
        release.wait(5)  # held back until the main thread holds the writer lock
        real(self)
        runs.append(1)

    monkeypatch.setattr(pools.Checkpointer, "_checkpoint", checkpoint)
    try:
        with database.connection_context():
            database.execute_sql("CREATE TABLE t (x INTEGER)")
            for n in range(5):  # the fifth commit starts a checkpoint
                with database.atomic():
                    database.execute_sql("INSERT INTO t VALUES (?)", (n,))
            with database.atomic():  # a writer holds the lock while the checkpoint runs
                database.execute_sql("INSERT INTO t VALUES (5)")
                release.set()
                deadline = time.monotonic() + 5
                while not runs and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert runs == [1]
            busy, log_frames, checkpointed = database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and log_frames == checkpointed
    finally:
        database.close_all()


def test_one_checkpoint_thread_serves_every_checkpoint_and_ends_with_the_pool(tmp_path, monkeypatch):
    from models import pools

    monkeypatch.setattr(pools, "CHECKPOINT_EVERY", 2)
    database = SqliteDatabase(
        str(tmp_path / "c.db"),
        pragmas={"journal_mode": "wal", "wal_autocheckpoint": 0},
        timeout=1,
        autoconnect=False,
        lock_type="IMMEDIATE",
        check_same_thread=False,
    )
    ran_in: list[threading.Thread] = []  # the thread of each checkpoint (kept: no identity reused)
    real = pools.Checkpointer._checkpoint

    def checkpoint(self):
        real(self)
        ran_in.append(threading.current_thread())

    monkeypatch.setattr(pools.Checkpointer, "_checkpoint", checkpoint)

    def checkpointers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "sqlite-checkpoint"]

    before = checkpointers()
    with database.connection_context():
        database.execute_sql("CREATE TABLE t (x INTEGER)")
        for n in range(20):  # ten checkpoints asked for, each awaited before the next
            with database.atomic():
                database.execute_sql("INSERT INTO t VALUES (?)", (n,))
            deadline = time.monotonic() + 5
            while n % 2 and len(ran_in) < (n + 1) // 2 and time.monotonic() < deadline:
                time.sleep(0.005)
        started = [t for t in checkpointers() if t not in before]
        assert len(started) == 1
        assert len(ran_in) == 10 and set(ran_in) == {started[0]}
    database.close_all()
    assert not started[0].is_alive()  # closed: the file at rest, the thread gone
