"""The rating endpoint's hot path: few statements, and caches that never serve a stale answer
longer than documented."""

import time

from playhouse.test_utils import count_queries

from core import cache
from core import clock
from models import ApiKey
from models import Label
from models import LabelSet
from models import Window
from models import db


def rate(client, make, key=None, **body):
    body.setdefault("channel", "pad")
    return client.post("/api/v1/ratings", json=body, headers=make.auth(key or make.police_key))


def test_a_device_rating_writes_the_rating_and_its_outbox_row_and_nothing_else(client, make):
    assert rate(client, make, window_code="W04", level=5, labels=["501"], device_id="pad-0").status_code == 201
    with count_queries() as counted:
        assert rate(client, make, window_code="W04", level=4, labels=["401"], device_id="pad-1").status_code == 201
    sql = [q.msg[0] for q in counted.get_queries()]
    # No lookup once the key, the window, the dictionary and the staff-identity registry
    # are cached; what is read is the fraud screen's burst count (ratings/fraud.py).
    selects = [s for s in sql if s.startswith("SELECT")]
    assert len(selects) == 1 and "FROM rating WHERE rater_ref" in selects[0], sql
    assert [s.split('"')[1] for s in sql if s.startswith("INSERT")] == ["rating", "outbox"], sql
    writes = [s for s in sql if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "SELECT"))]
    assert len(writes) == 2, sql


def test_a_bad_rating_adds_its_ticket_with_its_history(client, make):
    assert rate(client, make, window_code="W04", level=5).status_code == 201
    with count_queries() as counted:
        assert rate(client, make, window_code="W04", level=1, labels=["101"]).status_code == 201
    inserts = [q.msg[0].split('"')[1] for q in counted.get_queries() if q.msg[0].startswith("INSERT")]
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
