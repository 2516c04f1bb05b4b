"""The two pooled databases, each with one change to peewee's pool that the
ingest benchmark's profile asked for (bench/README.md, "Rating ingest").

SQLite: write transactions queue on a file lock. SQLite has one writer; a
`BEGIN IMMEDIATE` that finds the write lock taken waits in SQLite's busy
handler, which polls in sleeps of 1, 2, 5, 10 … 100 ms. Under several gunicorn
workers that left a core idle while writers slept past the moment the lock was
free. An exclusive `flock` on `<database>-writer.lock`, taken before BEGIN and
released once the connection is out of its transaction, wakes the next writer
as soon as the previous one commits. Like SQLite's own wait it gives up after the
busy timeout (10 s) with "database is locked" (a 503 to retry): a main thread
waits in flock under an interval timer, other threads poll in steps of ≤ 2 ms.
Reads (WAL) never take it; a write outside `atomic()` is run as a transaction of
its own, so every writer queues the same way.

PostgreSQL: peewee checks a pooled connection out with a `SELECT 1` round trip
every time. Here the round trip is made only for a connection that sat in the
pool longer than `PING_AFTER` seconds (a restarted server or a dropped
network shows up there); a connection returned a moment ago is checked
locally (closed flag, transaction status).
"""

import fcntl
import os
import re
import signal
import threading
import time

from peewee import OperationalError
from playhouse.pool import PooledPostgresqlDatabase
from playhouse.pool import PooledSqliteDatabase
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

PING_AFTER = 5.0
# A thread other than the main one polls the writer lock at most this far apart.
POLL_MAX_SECONDS = 0.002
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class _Expired(Exception):
    pass


class WriterLock:
    """Exclusive between processes (flock) and between threads of one process."""

    def __init__(self, path: str):
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd = None
        self._pid = None

    def _file(self) -> int:
        # A forked worker must not share the parent's open file: flock is per open file.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
            self._thread_lock = threading.Lock()
        return self._fd

    def acquire(self, timeout: float) -> None:
        """Wait at most `timeout` seconds (the SQLite busy timeout), then raise the busy error."""
        fd = self._file()
        if not self._thread_lock.acquire(timeout=timeout):
            raise OperationalError("database is locked (writer queue)")
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if threading.current_thread() is threading.main_thread():
                self._wait(fd, timeout)  # gunicorn's sync workers: woken the moment it is free
            else:
                self._poll(fd, timeout)  # threads (the scheduler) cannot take a signal
        except BaseException:
            self._thread_lock.release()
            raise

    @staticmethod
    def _wait(fd: int, timeout: float) -> None:
        def expire(signum, frame):
            raise _Expired

        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except _Expired:
            # The alarm may have come just after the lock did: holding it already, this succeeds.
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OperationalError("database is locked (writer queue)") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    @staticmethod
    def _poll(fd: int, timeout: float) -> None:
        deadline, pause = time.monotonic() + timeout, 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError("database is locked (writer queue)") from None
                time.sleep(pause)
                pause = min(pause * 2, POLL_MAX_SECONDS)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


class SqliteDatabase(PooledSqliteDatabase):
    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._writer = WriterLock(f"{database}-writer.lock")
        self._busy_timeout = float(kwargs.get("timeout", 5))
        self._holding = threading.local()

    def execute_sql(self, sql, params=None):
        # A write outside a transaction (a job's bookkeeping, an UPDATE…execute() of its
        # own) becomes a transaction of its own, so that it too queues on the writer lock
        # rather than polling in SQLite's busy handler behind the queue. Statements with
        # RETURNING keep their rows to fetch after the call: left as they are.
        if not self._in_any_transaction() and _WRITE.match(sql) and "RETURNING" not in sql.upper():
            with self.atomic():
                return super().execute_sql(sql, params)
        return super().execute_sql(sql, params)

    def _in_any_transaction(self) -> bool:
        conn = self._state.conn
        return self.transaction_depth() > 0 or (conn is not None and conn.in_transaction)

    def begin(self, lock_type=None):
        self._writer.acquire(self._busy_timeout)
        self._holding.yes = True
        try:
            super().begin(lock_type)
        except BaseException:
            self._release()
            raise

    def commit(self):
        try:
            return super().commit()
        finally:
            self._release_if_done()

    def rollback(self):
        try:
            return super().rollback()
        finally:
            self._release_if_done()

    def _release_if_done(self):
        conn = self._state.conn
        if conn is None or not conn.in_transaction:
            self._release()

    def _release(self):
        if getattr(self._holding, "yes", False):
            self._holding.yes = False
            self._writer.release()

    def _close(self, conn, close_conn=False):
        # A connection handed back mid-transaction (an error path) must not keep the lock.
        self._release()
        return super()._close(conn, close_conn)


class PostgresqlDatabase(PooledPostgresqlDatabase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned_at: dict[int, float] = {}

    def _is_closed(self, conn):
        # Checked out: its entry goes (a connection the pool drops leaves none behind).
        returned = self._returned_at.pop(self.conn_key(conn), None)
        if conn.closed:
            return True
        recent = returned is not None and time.monotonic() - returned < PING_AFTER
        if recent and conn.get_transaction_status() == TRANSACTION_STATUS_IDLE:
            return False  # returned idle a moment ago: no round trip
        return self._adapter.is_connection_closed(conn)

    def _close(self, conn, close_conn=False):
        key = self.conn_key(conn)
        self._returned_at[key] = time.monotonic()
        result = super()._close(conn, close_conn)
        if conn.closed:  # closed rather than pooled (stale, or asked to)
            self._returned_at.pop(key, None)
        return result
