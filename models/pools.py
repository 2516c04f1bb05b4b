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

SQLite, too: WAL checkpoints leave the writers' queue. SQLite checkpoints inside the
COMMIT that fills the WAL to `wal_autocheckpoint` pages — inside our writer lock, so
every writer waited for its copy and its two fsyncs (tens of milliseconds on a busy
disk: the tail of the ingest's latency). Every CHECKPOINT_EVERY commits of a process,
a thread of that process runs a PASSIVE checkpoint on a connection of its own, which
neither takes the writer lock nor waits for writers; the pool's connections
keep SQLite's own autocheckpoint, at a higher mark (models/db.py), as a backstop.

PostgreSQL: peewee checks a pooled connection out with a `SELECT 1` round trip
every time. Here the round trip is made only for a connection that sat in the
pool longer than `PING_AFTER` seconds (a restarted server or a dropped
network shows up there); a connection returned a moment ago is checked
locally (closed flag, transaction status). Two more round trips go (bench/README,
"Rating ingest", the second round):

- `BEGIN` travels with the transaction's first statement ("BEGIN; INSERT …", one
  round trip), and a transaction that ran no statement sends neither BEGIN nor
  COMMIT. A raw cursor taken inside the transaction (`db.cursor()`) gets the BEGIN
  sent first, as before.
- `execute_deferred()` keeps a write whose result nobody reads (the rating's outbox
  row) to travel with the transaction's next statement or its COMMIT.
- `execute_prepared()` runs the hot paths' SQL as server-side prepared statements
  of the connection (PREPARE once per connection and statement, then EXECUTE):
  PostgreSQL parses and plans them once, not on every request — for the fraud
  screen's count over `rating` and its ten indexes the plan cost more than the
  query. SQLite's driver keeps prepared statements per connection by itself.

PostgreSQL, when the connection is lost (a failover, a restart,
`pg_terminate_backend`): `connection_lost(exc)` recognises it, a broken
connection is closed rather than pooled (peewee's check-in), and
`discard_idle()` drops the idle ones, which died with it. Whether the current
unit of work (a request) may have made a write durable — a COMMIT sent, or a
write outside a transaction — is tracked per thread, so that the web app
(ops/database.py) retries only work of which nothing can have been stored.
"""

import fcntl
import hashlib
import logging
import os
import signal
import sqlite3
import threading
import time
import weakref

import psycopg2
from peewee import OperationalError
from peewee import __exception_wrapper__
from playhouse.pool import PooledPostgresqlDatabase
from playhouse.pool import PooledSqliteDatabase
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from .read_phase import WRITE as _WRITE
from .read_phase import ReadPhase

log = logging.getLogger(__name__)

PING_AFTER = 5.0
# A thread other than the main one polls the writer lock at most this far apart.
POLL_MAX_SECONDS = 0.002


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


CHECKPOINT_EVERY = 32  # commits of one process between two of its background checkpoints


class Checkpointer:
    """PASSIVE WAL checkpoints of one database file, off the writers' queue (see above).

    One thread of the process runs them, woken by an event, until the pool is closed:
    starting a thread per checkpoint made the committing request wait for it to start."""

    def __init__(self, path: str, timeout: float):
        self.path, self.timeout = path, timeout
        self._commits = 0
        self._thread: threading.Thread | None = None
        self._pid = None  # the process that started it: a forked child starts its own
        self._starting = threading.Lock()

    def committed(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY:
            self._commits = 0
            with self._starting:  # the scheduler's threads commit side by side: one thread
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._start()
                self._due.set()

    def stop(self) -> None:
        """End the thread once a checkpoint under way has ended (the file is then at rest)."""
        with self._starting:  # not beside a commit of another thread starting it again
            thread, self._thread = self._thread, None
        if thread is not None and self._pid == os.getpid():
            self._stopping.set()
            self._due.set()
            thread.join(self.timeout + 5)

    def _start(self) -> None:
        # New events: in a forked child the parent's thread is gone, and they were its.
        self._due, self._stopping = threading.Event(), threading.Event()
        self._thread = threading.Thread(
            target=self._loop, args=(self._due, self._stopping), name="sqlite-checkpoint", daemon=True
        )
        self._thread.start()
        self._pid = os.getpid()

    def _loop(self, due: threading.Event, stopping: threading.Event) -> None:
        while True:
            due.wait()
            if stopping.is_set():
                return
            due.clear()
            self._checkpoint()

    def _checkpoint(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:  # the next one tries again; SQLite's own is the backstop
            log.warning("background WAL checkpoint of %s failed: %s", self.path, exc)


class SqliteDatabase(ReadPhase, PooledSqliteDatabase):
    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._writer = WriterLock(f"{database}-writer.lock")
        self._busy_timeout = float(kwargs.get("timeout", 5))
        self._holding = threading.local()
        self._checkpointer = Checkpointer(database, self._busy_timeout)

    def close_all(self):
        super().close_all()
        # Closed means the file is at rest: no checkpoint of this process still writing to it.
        self._checkpointer.stop()

    def execute_sql(self, sql, params=None):
        # A write outside a transaction (a job's bookkeeping, an UPDATE…execute() of its
        # own) becomes a transaction of its own, so that it too queues on the writer lock
        # rather than polling in SQLite's busy handler behind the queue. Statements with
        # RETURNING keep their rows to fetch after the call: left as they are.
        self.refuse_in_read_phase(sql)
        if not self._in_any_transaction() and _WRITE.match(sql) and "RETURNING" not in sql.upper():
            with self.atomic():
                return super().execute_sql(sql, params)
        return super().execute_sql(sql, params)

    def _in_any_transaction(self) -> bool:
        conn = self._state.conn
        return self.transaction_depth() > 0 or (conn is not None and conn.in_transaction)

    def begin(self, lock_type=None):
        self.refuse_in_read_phase()  # a transaction takes the writer lock: not in a read phase
        self._writer.acquire(self._busy_timeout)
        self._holding.yes = True
        try:
            super().begin(lock_type)
        except BaseException:
            self._release()
            raise

    def commit(self):
        try:
            result = super().commit()
        finally:
            self._release_if_done()
        self._checkpointer.committed()  # after the lock is free
        return result

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

    def execute_prepared(self, sql, params=()):
        """The sqlite3 driver keeps a cache of prepared statements per connection itself."""
        return self.execute_sql(sql, params)

    def execute_deferred(self, sql, params=(), prepared=False):
        """SQLite runs in this process: nothing to save by waiting; run it now."""
        return self.execute_sql(sql, params)


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


class PostgresqlDatabase(ReadPhase, PooledPostgresqlDatabase):
    def __init__(self, *args, prepare: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self._prepare_statements = prepare
        self._returned_at: dict[int, float] = {}
        self._unit = threading.local()
        # connection → the SQL texts prepared on it; gone with the connection.
        self._prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._names: dict[str, str] = {}  # SQL text → its statement's name (the same on every connection)

    # -- what the current unit of work may have stored ---------------------------------
    def start_unit(self) -> None:
        self._unit.wrote = False

    def may_have_written(self) -> bool:
        """A COMMIT was sent, or a write ran outside a transaction (autocommit), since `start_unit`."""
        return getattr(self._unit, "wrote", False)

    def execute_sql(self, sql, params=None):
        self.refuse_in_read_phase(sql)
        if not self._unit.__dict__.get("wrote", True) and self.transaction_depth() == 0 and _WRITE.match(sql):
            self._unit.wrote = True
        return super().execute_sql(sql, params)

    def discard_idle(self) -> None:
        """After a lost connection: the idle ones went with it (a restart, a failover)."""
        self.close_idle()

    # -- BEGIN with the first statement, deferred writes with the next ------------------

    def begin(self, isolation_level=None):
        if isolation_level is None and not self._isolation_level:
            self._state.begin_pending = True
            return
        super().begin(isolation_level)

    def _take_begin(self) -> bool:
        pending = getattr(self._state, "begin_pending", False)
        if pending:
            self._state.begin_pending = False
        return pending

    def _take_deferred(self) -> list[str]:
        deferred = getattr(self._state, "deferred", None)
        if deferred:
            self._state.deferred = []
        return deferred or []

    def _execute_cursor(self, sql, params, **cursor_options):
        if cursor_options:
            return super()._execute_cursor(sql, params, **cursor_options)
        begin, deferred = self._take_begin(), self._take_deferred()
        if not begin and not deferred:
            return super()._execute_cursor(sql, params)
        # One round trip: BEGIN, the writes waiting to be sent (already with their values:
        # their % doubled, as this statement's parameters are formatted in), this statement.
        prefix = ("BEGIN; " if begin else "") + "".join(text.replace("%", "%%") + "; " for text in deferred)
        for text in deferred:
            self._log_query(text, None)
        self._log_query(("BEGIN; " if begin else "") + sql, params)
        with __exception_wrapper__:
            cursor = self._state.conn.cursor()
            cursor.execute(prefix + sql, params or ())
        return cursor

    def cursor(self, named_cursor=None):
        begin, deferred = self._take_begin(), self._take_deferred()
        if begin or deferred:
            super().cursor().execute(("BEGIN; " if begin else "") + "".join(text + "; " for text in deferred))
        return super().cursor(named_cursor)

    def execute_deferred(self, sql, params=(), prepared=False):
        """A write inside a transaction whose result nobody reads (an outbox row): sent with the
        transaction's next statement, or with its COMMIT, in the same round trip. Outside a
        transaction, at once. A failure surfaces there (the transaction rolls back as usual)."""
        self.refuse_in_read_phase(sql)
        if self.is_closed() or not self.in_transaction():
            return (self.execute_prepared if prepared else self.execute_sql)(sql, params)
        if prepared and self._prepare_statements:
            sql = self._prepare(sql, params)
        text = self._state.conn.cursor().mogrify(sql, params).decode()
        if getattr(self._state, "deferred", None) is None:
            self._state.deferred = []
        self._state.deferred.append(text)
        return None

    def commit(self):
        begin, deferred = self._take_begin(), self._take_deferred()
        if not deferred:
            if begin:
                return None  # nothing ran: nothing to commit
            self._unit.wrote = True  # sent: if the answer is lost, it may have been stored
            return super().commit()
        self._unit.wrote = True
        for text in (["BEGIN"] if begin else []) + deferred:
            self._log_query(text, None)
        with __exception_wrapper__:
            self._state.conn.cursor().execute(
                ("BEGIN; " if begin else "") + "".join(t + "; " for t in deferred) + "COMMIT"
            )
        return None

    def rollback(self):
        self._take_deferred()  # never sent: nothing to undo
        if self._take_begin():
            return None
        return super().rollback()

    def close(self):
        self._state.begin_pending = False
        self._state.deferred = []
        return super().close()

    # -- server-side prepared statements -----------------------------------------------

    def execute_prepared(self, sql, params=()):
        """`execute_sql` for SQL the hot paths run again and again, with %s parameters."""
        if self.is_closed() or not self._prepare_statements:
            return self.execute_sql(sql, params)
        return self.execute_sql(self._prepare(sql, params), params)

    def _prepare(self, sql, params) -> str:
        """PREPARE `sql` on this connection if it is not yet; the EXECUTE that runs it."""
        conn = self._state.conn
        done = self._prepared.get(conn)
        if done is None:
            done = self._prepared[conn] = set()
        name = self._names.get(sql)
        if name is None:
            name = self._names[sql] = "hcp_" + hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
        if sql not in done:
            self.execute_sql(f"PREPARE {name} AS {_numbered(sql)}")
            done.add(sql)  # only once PREPARE succeeded (it is not undone by a rollback)
        marks = ", ".join(["%s"] * len(params))
        return f"EXECUTE {name} ({marks})" if params else f"EXECUTE {name}"

    def prepared_text(self, name: str) -> str | None:
        """The SQL behind a prepared statement's name (for logs and tests)."""
        return next((sql for sql, known in self._names.items() if known == name), None)

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


def _numbered(sql: str) -> str:
    """psycopg2's %s parameters as PREPARE's $1, $2, …"""
    parts = sql.split("%s")
    if any("%" in part for part in parts):
        raise ValueError("prepared SQL may hold no % but its parameters")
    return "".join(part + (f"${i}" if i < len(parts) else "") for i, part in enumerate(parts, 1))
