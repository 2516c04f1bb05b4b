"""One scheduler per database: a lock held for the scheduler process's lifetime.

PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a dedicated
connection. SQLite: an exclusive `flock` on a lock file next to the database
file. Either is released by the operating system or the server when the
process dies in any way (SIGKILL included), so a waiting process takes over.

The lock can also be lost while the process lives: the lock's connection dies
(a failover, a restart, `pg_terminate_backend`), or the lock file is deleted
or replaced (another process would then lock a new file). `alive()` sees both;
the runner then pauses the jobs and takes the lock again (jobs/runner.py).
"""

import fcntl
import os
import socket
from abc import ABC
from abc import abstractmethod
from urllib.parse import unquote
from urllib.parse import urlparse

import psycopg2

# Any constant, distinct from the migration lock in models/migrate.py.
PG_LOCK_ID = 0x48435005


class SchedulerLock(ABC):
    @abstractmethod
    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""

    def alive(self) -> bool:
        """Still held (the PostgreSQL session is up)."""
        return True

    @abstractmethod
    def release(self) -> None:
        """Give the lock up (the process is stopping)."""

    @staticmethod
    def for_url(url: str) -> "SchedulerLock":
        parsed = urlparse(url)
        if parsed.scheme == "sqlite":
            path = unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)
            return FileLock(os.path.abspath(path) + ".scheduler.lock")
        return PostgresLock(url)


class FileLock(SchedulerLock):
    def __init__(self, path: str):
        self.path = path
        self.fd = None

    def try_acquire(self) -> bool:
        self.release()  # a lock on a file that was deleted or replaced
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        # For operators: who holds it.
        os.ftruncate(fd, 0)
        os.write(fd, f"{socket.gethostname()} {os.getpid()}\n".encode())
        self.fd = fd
        return True

    def alive(self) -> bool:
        """Still the file at `path`: a lock on a deleted or replaced file excludes nobody."""
        if self.fd is None:
            return False
        try:
            held, current = os.fstat(self.fd), os.stat(self.path)
        except OSError:
            return False
        return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class PostgresLock(SchedulerLock):
    def __init__(self, url: str):
        self.url = url
        self.conn = None

    def try_acquire(self) -> bool:
        self.release()  # a previous, dead connection
        conn = psycopg2.connect(
            self.url.replace("postgres://", "postgresql://", 1),
            connect_timeout=5,
            # A silent network loses the lock too: the server ends the session, and so must we.
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (PG_LOCK_ID,))
            got = cur.fetchone()[0]
        if not got:
            conn.close()
            return False
        self.conn = conn
        return True

    def alive(self) -> bool:
        if self.conn is None:
            return False
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False

    def backend_pid(self) -> int | None:
        """The server process of the lock's session (for operators and tests)."""
        return self.conn.get_backend_pid() if self.conn is not None and not self.conn.closed else None

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()  # ends the session, and with it the lock
            except psycopg2.Error:
                pass  # already gone
            finally:
                self.conn = None
