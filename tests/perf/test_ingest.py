"""The rating endpoint's hot path: few statements, and caches that never serve a stale answer
longer than documented."""

import time

import pytest
from playhouse.test_utils import count_queries

from core import cache
from core import clock
from models import ApiKey
from models import Label
from models import LabelSet
from models import Window
from models import db


def sent(counted) -> list[str]:
    """The statements as written: PostgreSQL's "BEGIN; …" split, its prepared statements'
    EXECUTE shown as the SQL they run, their one-time PREPARE left out."""
    out = []
    for query in counted.get_queries():
        sql = query.msg[0]
        if sql.startswith("BEGIN; "):
            out.append("BEGIN")
            sql = sql[len("BEGIN; ") :]
        if sql.startswith("PREPARE "):
            continue
        if sql.startswith("EXECUTE "):
            sql = db.obj.prepared_text(sql.split()[1])
        out.append(sql)
    return out


def rate(client, make, key=None, **body):
    body.setdefault("channel", "pad")
    return client.post("/api/v1/ratings", json=body, headers=make.auth(key or make.police_key))


def test_a_device_rating_writes_the_rating_and_its_outbox_row_and_nothing_else(client, make):
    assert rate(client, make, window_code="W04", level=5, labels=["501"], device_id="pad-0").status_code == 201
    with count_queries() as counted:
        assert rate(client, make, window_code="W04", level=4, labels=["401"], device_id="pad-1").status_code == 201
    sql = sent(counted)
    # No lookup once the key, the window, the dictionary and the staff-identity registry
    # are cached; the one thing read, the fraud screen's burst count (ratings/fraud.py),
    # comes back with the rating's INSERT (RETURNING).
    assert not [s for s in sql if s.startswith("SELECT")], sql
    inserts = [s for s in sql if s.startswith("INSERT")]
    assert [s.split('"')[1] for s in inserts] == ["rating", "outbox"], sql
    assert "FROM rating WHERE rater_ref" in inserts[0], sql
    writes = [s for s in sql if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "SELECT"))]
    assert len(writes) == 2, sql


def test_a_bad_rating_adds_its_ticket_with_its_history(client, make):
    assert rate(client, make, window_code="W04", level=5).status_code == 201
    with count_queries() as counted:
        assert rate(client, make, window_code="W04", level=1, labels=["101"]).status_code == 201
    inserts = [s.split('"')[1] for s in sent(counted) if s.startswith("INSERT")]
    # The ticket's workflow (rectification/tickets.py): the ticket, its first event, the audit
    # line and the department's notification, after looking up the default assignee.
    assert sorted(inserts) == ["audit_log", "notification", "outbox", "rating", "ticket", "ticket_event"]


def test_a_revoked_key_stops_at_once_in_the_admins_process(client, make, app):
    assert rate(client, make, window_code="W04", level=5).status_code == 201
    with app.app_context(), db.connection_context():
        ApiKey.update(revoked_at=clock.now()).execute()
        cache.clear_all()  # what admin.users.api_key_revoke does
    response = rate(client, make, window_code="W04", level=5)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_api_key"


def test_a_key_revoked_elsewhere_stops_within_the_ttl(client, make, app, monkeypatch):
    from api import auth

    assert rate(client, make, window_code="W04", level=5).status_code == 201
    with app.app_context(), db.connection_context():
        ApiKey.update(revoked_at=clock.now()).execute()  # another process: this one's cache still holds it
    assert rate(client, make, window_code="W04", level=5).status_code == 201
    later = time.monotonic() + auth.KEY_TTL + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert rate(client, make, window_code="W04", level=5).status_code == 401


def test_unknown_keys_are_never_cached(client, make, app):
    assert rate(client, make, key="hcp_nope_nope", window_code="W04", level=5).status_code == 401
    with app.app_context(), db.connection_context():
        _, key = ApiKey.issue(make.police, "new")
    assert rate(client, make, key=key, window_code="W04", level=5).status_code == 201


def test_a_new_dictionary_version_applies_at_once_in_this_process(client, make, app):
    assert rate(client, make, window_code="W04", level=5, labels=["501"]).status_code == 201
    with app.app_context(), db.connection_context():
        LabelSet.update(active=False).execute()
        new = LabelSet.create(version="2027.1", active=True)
        Label.create(label_set=new, level=5, code="509", text="环境整洁")
    response = rate(client, make, window_code="W04", level=5, labels=["501"])
    assert response.status_code == 422 and "2027.1" in response.get_json()["error"]["message"]
    assert rate(client, make, window_code="W04", level=5, labels=["509"]).status_code == 201


def test_a_dictionary_changed_elsewhere_applies_within_its_ttl(client, make, app, monkeypatch):
    from models import label

    assert rate(client, make, window_code="W04", level=5, labels=["501"]).status_code == 201
    with app.app_context(), db.connection_context():
        # another process: plain UPDATEs, this process's cache is not told
        LabelSet.update(active=False).execute()
        LabelSet.insert(version="2027.1", active=True, created_at=clock.now()).execute()
    assert rate(client, make, window_code="W04", level=5, labels=["501"]).status_code == 201
    later = time.monotonic() + label.ACTIVE_TTL + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert rate(client, make, window_code="W04", level=5, labels=["501"]).status_code == 422


def test_a_window_moved_in_the_admin_is_seen_at_once(client, make, app):
    assert rate(client, make, window_code="W04", level=5).status_code == 201
    with app.app_context(), db.connection_context():
        Window.update(department=make.social).where(Window.code == "W04").execute()
        cache.clear_all()  # what admin.master's save does
    assert rate(client, make, window_code="W04", level=5).status_code == 403


def test_the_ratings_indexes_hold_only_the_rows_they_are_for(ctx):
    """Migration 0035: the one-rating rule, the on-site cap and the foreign keys' indexes are
    partial, so a window tablet's rating (no case, no staff, no item, no on-site slot) writes
    none of their entries. schema_diff compares partial indexes by name only: the conditions
    are checked here."""
    from models.db import is_postgres

    if is_postgres():
        rows = db.execute_sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'rating'").fetchall()
    else:
        rows = db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rating'")
    found = {name: (sql or "").replace('"', "").lower() for name, sql in rows}
    expect = {
        "rating_case_id_sequence": "case_id is not null",
        "rating_rater_ref_window_id_onsite_day_onsite_slot": "onsite_day is not null",
        "rating_hall_id": "hall_id is not null",
        "rating_window_id": "window_id is not null",
        "rating_staff_id": "staff_id is not null",
        "rating_item_id": "item_id is not null",
    }
    for name, condition in expect.items():
        assert condition in found[name], (name, found[name])
    assert "unique" in found["rating_case_id_sequence"]
    assert "unique" in found["rating_rater_ref_window_id_onsite_day_onsite_slot"]


def test_the_burst_count_read_with_the_insert_equals_the_count_read_after_it(ctx, make):
    """Rating.insert_counting: the count that comes back with the INSERT (SQLite: after it;
    PostgreSQL: before it, plus the new rating) is what a query after the insert counts."""
    import datetime as dt

    from models import Rating

    at = clock.now()
    for n in range(4):
        values = {
            "sequence": 1,
            "excluded": False,
            "level": 5,
            "labels": "",
            "label_version": "2026.1",
            "channel": "pad",
            "rater_ref": "device:k:t1",
            "department": make.police.id,
            "window": make.police_window.id,
            "is_bad": False,
            "created_at": at + dt.timedelta(seconds=n),
        }
        recent = ("device:k:t1", 5, at - dt.timedelta(minutes=10), values["created_at"], True, make.police_window.id, 3)
        with db.atomic():
            Rating.insert_counting(values, recent)
            kept = Rating.recent_count(*recent)  # the kept count, no query
        assert kept == Rating.recent_count(*recent) == min(n + 1, 3)  # the second one queries


@pytest.mark.settings({"database": {"prepared_statements": False}})
def test_without_prepared_statements_the_hot_path_sends_its_sql_as_it_is(client, make):
    """`[database] prepared_statements = false` (PgBouncer in transaction pooling): no PREPARE,
    no EXECUTE, the same rating stored."""
    with count_queries() as counted:
        assert rate(client, make, window_code="W04", level=5, device_id="pad-9").status_code == 201
    sql = [q.msg[0] for q in counted.get_queries()]
    assert not [s for s in sql if "PREPARE " in s or "EXECUTE " in s], sql
    assert any('INSERT INTO "rating"' in s for s in sql) and any('INTO "outbox"' in s for s in sql), sql
