"""Versioned schema migrations: numbered scripts in `migrations/`, applied in
order and recorded in the `schema_migration` table (playhouse.migrations)."""

import os

from playhouse.migrations import Runner

from .db import db
from .db import is_postgres

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")

# Any constant: serialises concurrent start-ups on one PostgreSQL database.
_PG_LOCK_ID = 0x48435001


def runner() -> Runner:
    return Runner(db.obj, MIGRATIONS_DIR)


def migrate() -> list[str]:
    """Apply every pending migration; returns the names applied."""
    with db.connection_context():
        if is_postgres():
            db.execute_sql("SELECT pg_advisory_lock(%s)", (_PG_LOCK_ID,))
        try:
            return runner().up()
        finally:
            if is_postgres():
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (_PG_LOCK_ID,))


def pending() -> list[str]:
    with db.connection_context():
        return [m.name for m in runner().status() if m.applied is None and m.path]
