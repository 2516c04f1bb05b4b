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
