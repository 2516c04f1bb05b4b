# ruff: noqa: S608 - table names are the rollup modules' constants
"""Folding a rollup's deltas into it, the same way for every rollup that keeps deltas.

A rollup kept by appends (`figures.rollup`, `figures.case_rollup`): its triggers append
one row per change to its delta table, and `fold` moves them, in one transaction, into the
rollup's rows. PostgreSQL: `DELETE … RETURNING` takes exactly the committed deltas (one
written meanwhile stays for the next fold) and a concurrent fold waits for this one, then
finds them gone. SQLite: the write transaction excludes every other writer; the deltas up
to the highest rowid seen are moved.
"""

from collections.abc import Callable

from models import db
from models.db import is_postgres


def fold(table: str, upsert: Callable[[bool], str]) -> int:
    """Move the rows of the delta `table` into their rollup; returns how many moved.
    `upsert(postgres)` is the INSERT … ON CONFLICT that adds up the rows of the CTE `moved`."""
    with db.atomic():
        if is_postgres():
            # Every data-modifying WITH runs to completion, referenced or not.
            moved = f"WITH moved AS (DELETE FROM {table} RETURNING *)"
            cursor = db.execute_sql(f"{moved}, folded AS ({upsert(True)}) SELECT COUNT(*) FROM moved")
            return int(cursor.fetchone()[0])
        last, count = db.execute_sql(f"SELECT MAX(rowid), COUNT(*) FROM {table}").fetchone()
        if not count:
            return 0
        db.execute_sql(f"WITH moved AS (SELECT * FROM {table} WHERE rowid <= ?) {upsert(False)}", (last,))
        db.execute_sql(f"DELETE FROM {table} WHERE rowid <= ?", (last,))
        return int(count)
