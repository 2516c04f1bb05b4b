"""The push job against the simulator: delivery, retries, rejection, outages, exactly once."""

import datetime as dt
import logging

import pytest
import requests

from core import clock
from models import Department
from models import Outbox
from models import Rating
from models import UpstreamPush
from models import db
from upstream import push as push_module
from upstream import status
from upstream.client import Client
from upstream.push import current_profile
from upstream.push import push_due

from ..conftest import NOW


def push(app, client, times=1):
    with app.app_context():
        return [push_due(client) for _ in range(times)][-1]


def pending_count():
    with db.connection_context():
        return Outbox.select().where((Outbox.kind == "upstream.rating") & (Outbox.state == "pending")).count()


def eval_ids(rating_ids):
    with db.connection_context():
        return {p.rating_id: p.eval_id for p in UpstreamPush.select().where(UpstreamPush.rating.in_(rating_ids))}


def drain(app, client, limit=200, step=dt.timedelta(minutes=15)):
    """Run the job until the queue is empty, moving the clock past every backoff."""
    at = NOW
    for _ in range(limit):
        push(app, client)
        if pending_count() == 0:
            return
        at += step
        clock.freeze(at)
    raise AssertionError("the queue did not drain")


def test_ratings_arrive_once_and_are_marked(app, rate, simulator, fast_client):
    ids = rate(3)
    assert push(app, fast_client) == {"accepted": 3, "rejected": 0, "retry": 0}
    held = {r["evalId"] for r in simulator.records.values()}
    assert held == set(eval_ids(ids).values())
    with db.connection_context():
        assert {p.state for p in UpstreamPush.select()} == {"accepted"}
        assert Outbox.select().where(Outbox.state == "sent").count() == 3
    # Nothing is due any more: a second run sends nothing.
    assert push(app, fast_client) == {"accepted": 0, "rejected": 0, "retry": 0}
    assert simulator.stats["requests"] == 1


@pytest.mark.settings({"upstream": {"enabled": False}})
def test_disabled_push_does_nothing_and_the_backlog_stays_visible(app, rate, simulator, fast_client):
    rate(2)
    assert push(app, fast_client) == {"enabled": False}
    assert simulator.stats["requests"] == 0
    with app.app_context(), db.connection_context():
        info = status.backlog()
    assert info["enabled"] is False
    assert info["pending"] == 2
    assert info["oldest_pending_at"] == NOW


def test_server_errors_are_retried_later_with_the_same_eval_id(app, rate, simulator, fast_client):
    ids = rate(4)
    simulator.configure(fail_rate=1.0)
    assert push(app, fast_client)["retry"] == 4
    # Three tries in the job run (retries=2), then the rows wait with backoff.
    assert simulator.stats["failed"] == 3
    first_ids = eval_ids(ids)
    with db.connection_context():
        rows = list(Outbox.select().where(Outbox.kind == "upstream.rating"))
        assert {row.state for row in rows} == {"pending"}
        assert all(row.attempts == 1 and row.available_at > NOW for row in rows)
        assert "503" in rows[0].last_error
    with app.app_context(), db.connection_context():
        assert status.backlog()["retrying"] == 4
        assert "503" in status.backlog()["last_error"]
    # Not due before the backoff has passed.
    assert push(app, fast_client) == {"accepted": 0, "rejected": 0, "retry": 0}
    simulator.configure(fail_rate=0.0)
    clock.freeze(NOW + dt.timedelta(seconds=5))
    assert push(app, fast_client)["accepted"] == 4
    assert eval_ids(ids) == first_ids
    assert {r["evalId"] for r in simulator.records.values()} == set(first_ids.values())


def test_a_lost_answer_resends_the_same_eval_id_and_the_city_drops_the_duplicate(app, rate, simulator, fast_client):
    ids = rate(5)
    # The city stores the batch, but the answer never arrives (a crash between sending and marking looks alike).
    simulator.configure(drop_rate=1.0)
    assert push(app, fast_client)["retry"] == 5
    assert len(simulator.records) == 5
    assert pending_count() == 5
    simulator.configure(drop_rate=0.0)
    clock.freeze(NOW + dt.timedelta(minutes=1))
    assert push(app, fast_client)["accepted"] == 5
    assert len(simulator.records) == 5
    assert simulator.stats["duplicates"] >= 5
    assert {r["evalId"] for r in simulator.records.values()} == set(eval_ids(ids).values())


def test_a_rejected_rating_keeps_the_reason_and_goes_again_after_correction(app, rate, simulator, fast_client, make):
    simulator.configure(known_depts=["11610118MB0000000X"])
    ids = rate(2)
    assert push(app, fast_client) == {"accepted": 0, "rejected": 2, "retry": 0}
    with app.app_context(), db.connection_context():
        failures = status.failures()
        assert [f["rating_id"] for f in failures] == sorted(ids, reverse=True)
        assert failures[0]["reason"] == "deptCode GAJ 不在本市部门目录中"
        assert failures[0]["department"] == "区公安分局"
        assert status.failures(department_id=make.social.id) == []
        assert status.push_state(ids[0])["state"] == "rejected"
        assert Outbox.get(Outbox.dedupe_key == f"rating:{ids[0]}").state == "failed"
    first_ids = eval_ids(ids)
    # Not retried by itself.
    clock.freeze(NOW + dt.timedelta(days=1))
    assert push(app, fast_client) == {"accepted": 0, "rejected": 0, "retry": 0}
    # The correction: the department's credit code, which the city knows.
    with db.connection_context():
        Department.update(credit_code="11610118MB0000000X").where(Department.id == make.police.id).execute()
    with app.app_context(), db.connection_context():
        assert status.retry_rejected("user:admin", [ids[0]]) == 1
        assert status.push_state(ids[0])["state"] == "pending"
    assert push(app, fast_client)["accepted"] == 1
    with app.app_context(), db.connection_context():
        assert status.retry_rejected("user:admin") == 1
    assert push(app, fast_client)["accepted"] == 1
    assert eval_ids(ids) == first_ids
    assert {r["evalId"] for r in simulator.records.values()} == set(first_ids.values())
    assert {r["deptCode"] for r in simulator.records.values()} == {"11610118MB0000000X"}
    with app.app_context(), db.connection_context():
        assert status.failures() == []
        assert status.backlog()["accepted"] == 2


@pytest.mark.settings({"upstream": {"retries": 0}})
def test_nothing_is_lost_when_the_city_is_down_for_a_day(app, rate, simulator, fast_client):
    ids = rate(12)
    simulator.configure(fail_rate=1.0)
    at = NOW
    for _ in range(24 * 2):  # every half hour for a day
        push(app, fast_client)
        at += dt.timedelta(minutes=30)
        clock.freeze(at)
    assert pending_count() == 12
    with db.connection_context():
        attempts = [row.attempts for row in Outbox.select()]
        waits = {(row.available_at - at).total_seconds() for row in Outbox.select()}
    # Backoff grew, but is capped (backoff_max_seconds = 600): tried all day long, none gave up.
    assert min(attempts) >= 20  # while the first batch fails, the rest waits its turn
    assert max(waits) <= 600
    simulator.configure(fail_rate=0.0)
    drain(app, fast_client)
    assert len(simulator.records) == 12
    assert {r["evalId"] for r in simulator.records.values()} == set(eval_ids(ids).values())


def test_every_rating_arrives_exactly_once_with_failures_delays_and_lost_answers(app, rate, simulator, fast_client):
    ids = rate(60)
    simulator.configure(fail_rate=0.3, delay=0.02, drop_rate=0.1)
    drain(app, fast_client)
    stored = simulator.records
    assert len(stored) == 60
    assert {r["evalId"] for r in stored.values()} == set(eval_ids(ids).values())
    assert simulator.stats["failed"] > 0 and simulator.stats["dropped"] > 0
    # Every drop was a duplicate delivery the city had to drop: the effect is still exactly once.
    assert simulator.stats["duplicates"] >= simulator.stats["dropped"]
    with db.connection_context():
        assert {p.state for p in UpstreamPush.select()} == {"accepted"}


def test_an_excluded_rating_is_pushed_like_any_other(app, rate, simulator, fast_client):
    (rating_id,) = rate(1, level=1, labels=("101",))
    with db.connection_context():
        Rating.update(excluded=True, excluded_reason="申诉核实为误评").where(Rating.id == rating_id).execute()
    assert push(app, fast_client)["accepted"] == 1
    assert [r["satisfaction"] for r in simulator.records.values()] == [1]


def test_a_vanished_rating_fails_its_row_instead_of_blocking_the_queue(app, rate, simulator, fast_client):
    rate(1)
    with db.connection_context():
        Outbox.put("upstream.rating", "rating:999", {"rating_id": 999})
        Outbox.create(kind="upstream.rating", dedupe_key="garbled", payload="{not json")
        Outbox.create(kind="upstream.rating", dedupe_key="a-list", payload="[1, 2]")
        Outbox.create(kind="upstream.rating", dedupe_key="a-flag", payload='{"rating_id": true}')
    assert push(app, fast_client)["accepted"] == 1
    with db.connection_context():
        for key in ("rating:999", "garbled", "a-list", "a-flag"):
            assert Outbox.get(Outbox.dedupe_key == key).state == "failed", key


def test_batches_respect_the_batch_size(app, rate, simulator, fast_client):
    rate(25)
    assert push(app, fast_client)["accepted"] == 25
    assert simulator.stats["requests"] == 3  # 10 + 10 + 5


def test_a_case_rating_arrives_with_its_case_item_and_department(app, make, client, rate, simulator, fast_client):
    client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    rate(1, level=2, labels=("201",), channel="wechat", comment="等了很久", case_no="GA-2026-0001")
    assert push(app, fast_client)["accepted"] == 1
    (record,) = simulator.records.values()
    assert (record["projectNo"], record["taskCode"], record["taskName"]) == (
        "GA-2026-0001",
        "610118-GAJ-001",
        "居民身份证换领",
    )
    assert (record["deptCode"], record["pf"], record["satisfaction"], record["writingEvaluation"]) == (
        "GAJ",
        2,
        2,
        "等了很久",
    )


@pytest.mark.settings({"upstream": {"timeout_seconds": 1, "retries": 0}})
def test_a_timeout_is_retried_and_the_late_record_is_not_stored_twice(app, rate, simulator, fast_client):
    ids = rate(2)
    simulator.configure(delay=3.0)  # answers after 1.5–3 s: past the client's timeout
    assert push(app, fast_client)["retry"] == 2
    with db.connection_context():
        assert "1 秒内无应答" in Outbox.get().last_error
    simulator.configure(delay=0.0)
    clock.freeze(NOW + dt.timedelta(minutes=1))
    assert push(app, fast_client)["accepted"] == 2
    assert sorted(simulator.records) == sorted(eval_ids(ids).values())
    assert simulator.stats["duplicates"] == 2


@pytest.mark.settings({"upstream": {"batch_size": 1}})
def test_a_backlog_drains_in_one_run_while_there_is_time(app, rate, simulator, fast_client):
    rate(25)  # more batches than one run used to send (20)
    assert push(app, fast_client)["accepted"] == 25
    assert simulator.stats["requests"] == 25
    assert pending_count() == 0


def test_a_run_stops_after_its_time_budget_and_the_next_run_goes_on(app, rate, simulator, fast_client):
    rate(25)
    with app.app_context():
        # No time left after the first chunk (of one batch here): the run ends there.
        assert push_due(fast_client, run_seconds=0, chunk_rows=10)["accepted"] == 10
    assert pending_count() == 15
    assert push(app, fast_client)["accepted"] == 15
    assert len(simulator.records) == 25


def statements_of_one_push(app, client, count):
    """The SQL statements one run sends to push `count` ratings in one batch."""
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: record.name == "peewee" and seen.append(record.msg)
    peewee_log = logging.getLogger("peewee")
    level = peewee_log.level
    peewee_log.addHandler(handler)
    peewee_log.setLevel(logging.DEBUG)
    try:
        assert push(app, client)["accepted"] == count
    finally:
        peewee_log.removeHandler(handler)
        peewee_log.setLevel(level)
    return len(seen)


@pytest.mark.settings({"upstream": {"batch_size": 10}})
def test_a_chunk_costs_the_same_statements_whatever_its_size(app, rate, simulator, fast_client):
    rate(2)
    small = statements_of_one_push(app, fast_client, 2)
    rate(39)
    large = statements_of_one_push(app, fast_client, 39)
    assert simulator.stats["requests"] == 1 + 4
    assert large == small
    # the queue, the ratings, their evalIds (issued), the answer (pushes sent and accepted, outbox)
    assert small <= 8
    with db.connection_context():
        assert {p.state for p in UpstreamPush.select()} == {"accepted"}
        assert {p.attempts for p in UpstreamPush.select()} == {1}
        assert Outbox.select().where(Outbox.state == "sent").count() == 41


def test_a_push_created_before_the_insert_keeps_its_eval_id(app, rate, simulator, fast_client, monkeypatch):
    ids = rate(3)
    inserted = push_module.insert_returning

    def lose_the_race(model, *args, **kwargs):
        if model is UpstreamPush:  # another writer issues one evalId just before our insert
            monkeypatch.setattr(push_module, "insert_returning", inserted)
            UpstreamPush.insert(rating=ids[1], eval_id="610118-issued-elsewhere", created_at=NOW).execute()
        return inserted(model, *args, **kwargs)

    monkeypatch.setattr(push_module, "insert_returning", lose_the_race)
    assert push(app, fast_client)["accepted"] == 3
    stored = eval_ids(ids)
    assert stored[ids[1]] == "610118-issued-elsewhere"
    assert sorted(simulator.records) == sorted(stored.values())


@pytest.mark.settings({"upstream": {"batch_size": 5}})
def test_a_failure_mid_chunk_keeps_what_was_accepted_and_leaves_the_untried_rows_as_they_were(
    app, rate, simulator, fast_client
):
    ids = rate(15)  # one chunk, three requests
    session = requests.Session()
    # The city answers the first request, then fails every one after it.
    session.hooks["response"].append(lambda response, *args, **kwargs: simulator.configure(fail_rate=1.0))
    with app.app_context():
        client = Client(current_profile(), session=session, sleep=lambda seconds: None)
        assert push_due(client) == {"accepted": 5, "rejected": 0, "retry": 5}
    with db.connection_context():
        outbox = {row.dedupe_key: row for row in Outbox.select()}
        pushes = {push.rating_id: push for push in UpstreamPush.select()}
    row = {rating_id: outbox[f"rating:{rating_id}"] for rating_id in ids}
    # Every evalId was stored before the first send.
    assert all(pushes[rating_id].eval_id for rating_id in ids)
    for rating_id in ids[:5]:  # accepted
        assert (row[rating_id].state, pushes[rating_id].state, pushes[rating_id].attempts) == ("sent", "accepted", 1)
    for rating_id in ids[5:10]:  # tried and failed: backoff
        assert (row[rating_id].state, row[rating_id].attempts, pushes[rating_id].attempts) == ("pending", 1, 1)
        assert row[rating_id].available_at > NOW and "503" in pushes[rating_id].last_error
    for rating_id in ids[10:]:  # never tried: as they were
        assert (row[rating_id].state, row[rating_id].attempts, pushes[rating_id].attempts) == ("pending", 0, 0)
        assert row[rating_id].available_at == NOW and pushes[rating_id].last_sent_at is None
    simulator.configure(fail_rate=0.0)
    clock.freeze(NOW + dt.timedelta(minutes=1))
    assert push(app, fast_client)["accepted"] == 10
    assert sorted(simulator.records) == sorted(eval_ids(ids).values())


@pytest.mark.settings({"upstream": {"batch_size": 4}})
def test_chunks_in_flight_and_prepared_ahead_send_every_rating_once(app, rate, simulator, fast_client):
    """The next chunk is prepared while one is in flight (upstream/push.py): it never takes
    the rows in flight, so every rating goes once, under the evalId stored for it."""
    ids = rate(35)
    with app.app_context():
        assert push_due(fast_client, run_seconds=60, chunk_rows=8)["accepted"] == 35
    assert pending_count() == 0
    assert simulator.stats["requests"] == 9 and simulator.stats["duplicates"] == 0
    assert sorted(simulator.records) == sorted(eval_ids(ids).values())


def test_the_queue_is_read_on_behind_the_chunk_in_flight_in_queue_order(app):
    """`due_rows(after=)` returns exactly the rows behind `after` (ties on available_at by id),
    as one read of the whole queue would."""
    with app.app_context(), db.connection_context():
        start = clock.now() - dt.timedelta(minutes=5)
        for n in range(30):
            # Ten instants, three rows each, queued latest first: the order is not the ids'.
            at = start + dt.timedelta(seconds=(29 - n) // 3)
            Outbox.put("upstream.rating", f"rating:{n}", {"rating_id": n}, available_at=at)
        whole = [row.id for row in Outbox.due_rows("upstream.rating", 100)]
        assert len(whole) == 30
        for cut in (1, 4, 5, 17, 29):
            behind = Outbox.due_rows("upstream.rating", 100, after=Outbox.get_by_id(whole[cut - 1]))
            assert [row.id for row in behind] == whole[cut:]
