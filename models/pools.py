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

PostgreSQL, when the connection is lost (a failover, a restart,
`pg_terminate_backend`): `connection_lost(exc)` recognises it, a broken
connection is closed rather than pooled (peewee's check-in), and
`discard_idle()` drops the idle ones, which died with it. Whether the current
unit of work (a request) may have made a write durable — a COMMIT sent, or a
write outside a transaction — is tracked per thread, so that the web app
(ops/database.py) retries only work of which nothing can have been stored.
"""

import fcntl
import os
import re
import signal
import threading
import time

import psycopg2
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


# admin_shutdown, crash_shutdown, cannot_connect_now; class 08 is "connection exception".
_LOST_CODES = ("57P01", "57P02", "57P03")
_LOST_WORDS = (
    "server closed the connection",
    "connection already closed",
    "terminating connection",
    "could not receive data",
    "could not send data",
    "no connection to the server",
    "connection has been closed",
    "could not connect to server",
    "Connection refused",
)


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` — peewee's, the driver's, or one raised while handling either (a
    ROLLBACK on a dead connection) — says the connection to PostgreSQL is gone."""
    seen, stack = set(), [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (psycopg2.OperationalError, psycopg2.InterfaceError)):
            code = getattr(item, "pgcode", None) or ""
            if code.startswith("08") or code in _LOST_CODES or any(w in str(item) for w in _LOST_WORDS):
                return True
        stack.extend((getattr(item, "orig", None), item.__cause__, item.__context__))
    return False


class PostgresqlDatabase(PooledPostgresqlDatabase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned_at: dict[int, float] = {}
        self._unit = threading.local()

    # -- what the current unit of work may have stored ---------------------------------
    def start_unit(self) -> None:
        self._unit.wrote = False

    def may_have_written(self) -> bool:
        """A COMMIT was sent, or a write ran outside a transaction (autocommit), since `start_unit`."""
        return getattr(self._unit, "wrote", False)

    def execute_sql(self, sql, params=None):
        if not self._unit.__dict__.get("wrote", True) and self.transaction_depth() == 0 and _WRITE.match(sql):
            self._unit.wrote = True
        return super().execute_sql(sql, params)

    def commit(self):
        self._unit.wrote = True  # sent: if the answer is lost, it may have been stored
        return super().commit()

    def discard_idle(self) -> None:
        """After a lost connection: the idle ones went with it (a restart, a failover)."""
        self.close_idle()

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
