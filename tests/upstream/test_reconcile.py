"""The daily reconciliation with the city system, 补报, and what staff see of it."""

import datetime as dt

import pytest

from core import clock
from models import Outbox
from models import Rating
from models import UpstreamPush
from models import db
from upstream import status
from upstream.push import push_due
from upstream.reconcile import reconcile

from ..conftest import NOW

NEXT_DAY = NOW + dt.timedelta(days=1)


def run(app, func, client):
    with app.app_context():
        return func(client)


def test_what_the_city_lost_is_sent_again_under_the_same_eval_id(app, rate, simulator, fast_client):
    ids = rate(3)
    run(app, push_due, fast_client)
    with db.connection_context():
        lost = UpstreamPush.get(UpstreamPush.rating == ids[1]).eval_id
    simulator.forget(lost)
    clock.freeze(NEXT_DAY)
    with app.app_context():
        results = reconcile(fast_client, days=1)
    (result,) = results
    assert (result.day, result.state, result.local_count, result.city_count) == (NOW.date(), "resent", 3, 2)
    assert (result.missing_count, result.unknown_count) == (1, 0)
    with app.app_context(), db.connection_context():
        assert status.backlog()["pending"] == 1
        assert status.last_reconciliation().id == result.id
    run(app, push_due, fast_client)
    assert lost in simulator.records
    with app.app_context():
        (again,) = reconcile(fast_client, days=1)
    assert (again.state, again.missing_count, again.city_count) == ("ok", 0, 3)
    with app.app_context(), db.connection_context():
        assert [r.state for r in status.reconciliations()] == ["ok", "resent"]
        assert UpstreamPush.get(UpstreamPush.rating == ids[1]).requeued == 1


def test_ratings_that_never_had_an_outbox_row_are_reported_too(app, rate, simulator, fast_client):
    ids = rate(2)
    with db.connection_context():
        Outbox.delete().where(Outbox.dedupe_key == f"rating:{ids[0]}").execute()
    run(app, push_due, fast_client)
    clock.freeze(NEXT_DAY)
    with app.app_context():
        (result,) = reconcile(fast_client, days=1)
    assert (result.missing_count, result.state) == (1, "resent")
    run(app, push_due, fast_client)
    assert len(simulator.records) == 2


def test_rejected_ratings_wait_for_their_correction(app, rate, simulator, fast_client):
    simulator.configure(reject_depts=["GAJ"])
    rate(1)
    run(app, push_due, fast_client)
    clock.freeze(NEXT_DAY)
    with app.app_context():
        (result,) = reconcile(fast_client, days=1)
    assert (result.state, result.missing_count, result.local_count) == ("ok", 0, 1)
    with db.connection_context():
        assert Outbox.get().state == "failed"


def test_unknown_eval_ids_at_the_city_are_counted(app, rate, simulator, fast_client):
    rate(1)
    run(app, push_due, fast_client)
    simulator.records["999-foreign"] = {"evalId": "999-foreign", "assessTime": "2026-11-26 09:00:00"}
    clock.freeze(NEXT_DAY)
    with app.app_context():
        (result,) = reconcile(fast_client, days=1)
    assert (result.state, result.unknown_count, result.city_count) == ("ok", 1, 2)


def test_a_city_that_cannot_be_asked_is_a_failed_reconciliation(app, rate, simulator, fast_client):
    rate(1)
    simulator.configure(fail_rate=1.0)
    clock.freeze(NEXT_DAY)
    with app.app_context():
        results = reconcile(fast_client)
    assert [r.day for r in results] == [NOW.date() - dt.timedelta(days=d) for d in (2, 1, 0)]
    assert {r.state for r in results} == {"failed"}
    assert "503" in results[-1].error


@pytest.mark.settings({"upstream": {"query_url": ""}})
def test_without_a_query_url_the_reconciliation_says_so(app, rate, fast_client):
    clock.freeze(NEXT_DAY)
    with app.app_context():
        (result,) = reconcile(fast_client, days=1)
    assert result.state == "failed" and "query_url" in result.error


def test_the_operator_commands(app, runner, rate, simulator):
    simulator.configure(reject_depts=["GAJ"])
    (rating_id,) = rate(1)
    assert "'rejected': 1" in runner.invoke(args=["upstream", "push"]).output
    out = runner.invoke(args=["upstream", "status"]).output
    assert "rejected=1" in out and "deptCode GAJ 不在本市部门目录中" in out
    simulator.configure(reject_depts=[])
    assert "1 rating(s) queued again." in runner.invoke(args=["upstream", "retry", "--rating", str(rating_id)]).output
    assert "'accepted': 1" in runner.invoke(args=["upstream", "push"]).output
    out = runner.invoke(args=["upstream", "reconcile", "--date", "2026-11-26"]).output
    assert "2026-11-26: ok local=1 city=1 missing=0" in out
    assert runner.invoke(args=["upstream", "reconcile", "--date", "yesterday"]).exit_code == 2
    with db.connection_context():
        assert Rating.select().count() == 1
