"""A read phase: work that may read but must not write, refused at its first write.

The SMS inbox drains a chunk in two phases (sms/inbox.py): it reads and decides
without SQLite's one write lock, then takes the lock for the writes only. A reply
whose handling writes at once (an opt-out, a delivery report, a clarification
closed) cannot be decided in the read phase: its first write raises
`WriteRefused`, and the reply is handled again in the write phase. The guard is
per thread, so the scheduler's other jobs write as usual meanwhile.
"""

import re
import threading
from contextlib import contextmanager

# What changes data, as SQL begins (a CTE-led write is not used by the read paths).
WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class WriteRefused(Exception):
    """A write was attempted in a read phase: redo the work where writes are allowed."""


class ReadPhase:
    """Mixed into the pooled databases: `reading_only()` and the check their writes pass."""

    _read_phase = threading.local()

    @contextmanager
    def reading_only(self):
        """Within it, this thread's writes (and SQLite's BEGIN of a write transaction) raise
        `WriteRefused` before they reach the database."""
        previous = getattr(self._read_phase, "on", False)
        self._read_phase.on = True
        try:
            yield
        finally:
            self._read_phase.on = previous

    def refuse_in_read_phase(self, sql: str | None = None) -> None:
        if getattr(self._read_phase, "on", False) and (sql is None or WRITE.match(sql)):
            raise WriteRefused(sql.split(None, 1)[0] if sql else "BEGIN")
