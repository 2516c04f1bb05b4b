"""The PostgreSQL pool pings a pooled connection only when it sat idle past PING_AFTER
(models/pools.py): a connection returned a moment ago is checked out without a round trip."""

import time

from models import pools
from models.db import make_database
from tests.conftest import PG_URL
from tests.conftest import _ensure_pg_database


def test_a_recently_returned_connection_is_not_pinged_an_idle_one_is(monkeypatch):
    _ensure_pg_database(PG_URL)
    database = make_database(PG_URL, pool_size=2)
    pings = []
    real = database._adapter.is_connection_closed
    monkeypatch.setattr(database._adapter, "is_connection_closed", lambda conn: pings.append(1) or real(conn))
    try:
        for _ in range(3):
            with database.connection_context():
                database.execute_sql("SELECT 1")
        assert pings == [] and len(database._returned_at) == 1
        later = time.monotonic() + pools.PING_AFTER + 1
        monkeypatch.setattr(time, "monotonic", lambda: later)
        with database.connection_context():
            database.execute_sql("SELECT 1")
        assert pings == [1]
    finally:
        database.close_all()


def test_a_deferred_write_is_seen_by_the_next_statement_kept_by_commit_and_dropped_by_rollback(ctx):
    """models/pools.py: on PostgreSQL a deferred write (an outbox row) travels with the
    transaction's next statement or its COMMIT; on SQLite it runs at once. Either way a read
    in the transaction sees it, COMMIT keeps it and a rollback undoes it."""
    from models import Outbox
    from models import db

    with db.atomic():
        Outbox.put("test.deferred", "deferred:1", {"n": 1})
        assert Outbox.select().where(Outbox.dedupe_key == "deferred:1").count() == 1
    with db.atomic():
        Outbox.put("test.deferred", "deferred:2", {"n": "100% of it"})  # a % in a value, sent with COMMIT
    try:
        with db.atomic():
            Outbox.put("test.deferred", "deferred:3", {"n": 3})
            raise RuntimeError("changed my mind")
    except RuntimeError:
        pass
    with db.atomic():
        Outbox.put("test.deferred", "deferred:4", {"n": 4})
        with db.atomic() as savepoint:  # a savepoint rolled back takes the deferred write made inside it
            Outbox.put("test.deferred", "deferred:5", {"n": 5})
            savepoint.rollback()
    keys = sorted(row.dedupe_key for row in Outbox.select().where(Outbox.kind == "test.deferred"))
    assert keys == ["deferred:1", "deferred:2", "deferred:4"]
    assert Outbox.get(Outbox.dedupe_key == "deferred:2").data == {"n": "100% of it"}


def test_a_deferred_write_that_fails_fails_the_commit_and_rolls_the_transaction_back(ctx):
    from peewee import IntegrityError

    from models import Outbox
    from models import Rating
    from models import db
    from models.db import insert_row

    try:
        with db.atomic():
            Outbox.put("test.deferred", "deferred:ok", {"n": 1})
            # NULL into a NOT NULL column: refused where it runs (at COMMIT on PostgreSQL)
            insert_row(Outbox, {"kind": None, "dedupe_key": "deferred:bad", "payload": "{}"}, defer=True)
        raised = None
    except IntegrityError as exc:
        raised = exc
    assert raised is not None
    assert Outbox.select().where(Outbox.kind == "test.deferred").count() == 0
    assert Rating.select().count() == 0  # the connection is usable again
