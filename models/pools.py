"""The two pooled databases, each with one change to peewee's pool that the
ingest benchmark's profile asked for (bench/README.md, "Rating ingest").

SQLite: write transactions queue on a file lock. SQLite has one writer; a
`BEGIN IMMEDIATE` that finds the write lock taken waits in SQLite's busy
handler, which polls in sleeps of 1, 2, 5, 10 … 100 ms. Under several gunicorn
workers that left a core idle while writers slept past the moment the lock was
free. An exclusive `flock` on `<database>-writer.lock`, taken before BEGIN and
released once the connection is out of its transaction, wakes the next writer
as soon as the previous one commits. Reads (WAL) never take it; a write outside
`atomic()` still takes SQLite's own lock and waits in the busy handler as before.

PostgreSQL: peewee checks a pooled connection out with a `SELECT 1` round trip
every time. Here the round trip is made only for a connection that sat in the
pool longer than `PING_AFTER` seconds (a restarted server or a dropped
network shows up there); a connection returned a moment ago is checked
locally (closed flag, transaction status).
"""

import fcntl
import os
import threading
import time

from playhouse.pool import PooledPostgresqlDatabase
from playhouse.pool import PooledSqliteDatabase
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

PING_AFTER = 5.0


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

    def acquire(self) -> None:
        fd = self._file()
        self._thread_lock.acquire()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


class SqliteDatabase(PooledSqliteDatabase):
    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._writer = WriterLock(f"{database}-writer.lock")
        self._holding = threading.local()

    def begin(self, lock_type=None):
        self._writer.acquire()
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
        if conn.closed:
            return True
        returned = self._returned_at.get(self.conn_key(conn))
        recent = returned is not None and time.monotonic() - returned < PING_AFTER
        if recent and conn.get_transaction_status() == TRANSACTION_STATUS_IDLE:
            return False  # returned idle a moment ago: no round trip
        return self._adapter.is_connection_closed(conn)

    def _close(self, conn, close_conn=False):
        self._returned_at[self.conn_key(conn)] = time.monotonic()
        return super()._close(conn, close_conn)
