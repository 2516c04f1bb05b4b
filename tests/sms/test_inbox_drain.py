"""The inbox job: pushes stored with one INSERT, drained in chunks of one
transaction, a failing callback redone alone and marked failed."""

import threading
import time

import pytest

from jobs.runner import load_table
from jobs.runner import run_job
from models import Outbox
from models import Rating
from models import db
from models.sms import SmsInbox
from models.sms import SmsMessage
from sms import inbox
from sms import router

from .conftest import PHONES
from .conftest import TOKEN
from .conftest import inbox_states
from .conftest import push

UP = f"/sms/aliyun/{TOKEN}/up"


def test_one_run_drains_every_chunk_in_arrival_order_per_phone(app, client, fake, invited, monkeypatch):
    monkeypatch.setattr(inbox, "CHUNK", 2)
    p1, p2, p3, p4, p5 = PHONES
    # p1 asks first and rates after: in the other order its "你好" would find the case rated.
    push(client, fake, (p1, "你好"), (p2, "5"), (p1, "5"), (p3, "3 排队有点久"), (p4, "2"), (p5, "满意"))
    assert invited.process() == {"clarified": 1, "rated": 5}
    assert inbox_states(app) == [
        ("done", "clarified"),
        ("done", "rated"),
        ("done", "rated"),
        ("done", "rated"),
        ("done", "rated"),
        ("done", "rated"),
    ]
    with app.app_context(), db.connection_context():
        assert Rating.select().where(Rating.channel == "sms").count() == 5
        assert Rating.get(Rating.comment == "排队有点久").level == 3
        # The rated conversations are closed; the answers wait in the outbox, phones sealed.
        assert [p for phone in PHONES for p in SmsMessage.open_prompts(phone)] == []
        answers = list(Outbox.select().where(Outbox.kind == "sms.message").order_by(Outbox.id))
        assert len(answers) == 6 and all(p1 not in row.payload for row in answers)
        assert {row.data["purpose"] for row in answers} == {"clarify", "reply", "bad_review_ack"}
    sent = len(fake.sent)
    assert invited.send() == {"sent": 6}
    assert {r["phone"] for r in fake.sent[sent:]} == set(PHONES)
    assert invited.process() == {}


def test_a_budget_or_a_limit_leaves_the_rest_for_the_next_run(app, client, fake, invited, monkeypatch):
    monkeypatch.setattr(inbox, "CHUNK", 2)
    push(client, fake, *[(phone, "5") for phone in PHONES])
    with app.app_context():
        assert inbox.process_inbox(budget_seconds=0) == {"rated": 2}  # one chunk, then the budget is spent
        assert inbox.process_inbox(limit=1) == {"rated": 1}
    assert [state for state, _ in inbox_states(app)] == ["done", "done", "done", "pending", "pending"]
    assert invited.process() == {"rated": 2}


@pytest.mark.settings({"limits": {"sms_phone": "1/hour"}})
def test_a_failing_callback_is_marked_failed_and_the_rest_of_its_chunk_is_handled(
    app, client, fake, invited, monkeypatch
):
    p1, p2, p3 = PHONES[:3]
    with app.app_context(), db.connection_context():
        Outbox.put(
            "sms.message", "survey:1", {"phone": p2, "text": "大厅环境如何？", "purpose": "survey", "ref": "s:1"}
        )
    invited.send()

    calls = []

    def broken(incoming, prompt):
        calls.append(incoming.phone)
        db.execute_sql("SELECT * FROM no_such_table")  # a database error: PostgreSQL aborts the transaction

    monkeypatch.setitem(router.HANDLERS, "survey", broken)
    push(client, fake, (p1, "5"), (p2, "5"), (p3, "4"))
    # The chunk rolled back and its callbacks were redone one by one: p2's twice, alone.
    assert invited.process() == {"rated": 2, "error": 1}
    assert calls == [p2, p2]
    assert inbox_states(app) == [("done", "rated"), ("failed", "error"), ("done", "rated")]
    with app.app_context(), db.connection_context():
        assert Rating.select().count() == 2
        # Redone or not, each reply counted once against its phone's limit (1/hour): none was refused.
        assert SmsInbox.select().where(SmsInbox.outcome == "rate_limited").count() == 0
        assert (
            Outbox.select().where(Outbox.kind == "sms.message", Outbox.dedupe_key.startswith("sms:thanks")).count() == 2
        )
    assert invited.process() == {}


def test_repeated_items_are_stored_once_whether_in_one_push_or_across_pushes(app, client, fake, invited):
    p1, p2 = PHONES[:2]
    first = fake.up_item(p1, "5", sequence_id="100")
    second = fake.up_item(p2, "4", sequence_id="200")
    assert client.post(UP, json=[first, first]).status_code == 200
    assert client.post(UP, json=[first, second, second]).status_code == 200
    assert client.post(UP, json=[dict(first, sequence_id=100)]).status_code == 200  # the older, numeric shape
    assert len(inbox_states(app)) == 2
    assert invited.process() == {"rated": 2}
    assert client.post(UP, json=[first, second]).status_code == 200
    assert invited.process() == {}
    with app.app_context(), db.connection_context():
        assert Rating.select().count() == 2


def test_a_report_and_a_reply_of_one_phone_go_to_separate_chunks(app, client, fake, invited):
    p1 = PHONES[0]
    sms = next(r for r in fake.sent if r["phone"] == p1)
    assert client.post(f"/sms/aliyun/{TOKEN}/report", json=[fake.report_item(sms)]).status_code == 200
    push(client, fake, (p1, "5"))
    with app.app_context(), db.connection_context():
        rows, data = inbox._take(10)
        assert [row.kind for row in rows] == ["report"] and list(data) == [rows[0].id]
    assert invited.process() == {"delivered": 1, "rated": 1}


def test_an_unreadable_callback_fails_alone(app, client, fake, invited):
    p1, p2 = PHONES[:2]
    push(client, fake, (p1, "5"))
    with app.app_context(), db.connection_context():
        SmsInbox.update(payload=SmsInbox.payload.concat("x")).execute()  # altered: it no longer decrypts
    push(client, fake, (p2, "4"))
    assert invited.process() == {"error": 1, "rated": 1}
    assert inbox_states(app) == [("failed", "error"), ("done", "rated")]
    assert invited.process() == {}


@pytest.mark.settings({"jobs": {"intervals": ["sms.inbox=1"]}})
def test_the_job_takes_up_a_reply_that_arrives_while_it_watches(app, client, fake, invited):
    p1, p2 = PHONES[:2]
    push(client, fake, (p1, "5"))
    later = fake.up_item(p2, "4")

    def arrive():
        with app.app_context(), db.connection_context():
            inbox.store_callback("up", [later])

    timer = threading.Timer(0.3, arrive)
    timer.start()
    spec = next(s for s in load_table(app.config["SETTINGS"].jobs) if s.id == "sms.inbox")
    started = time.monotonic()
    outcomes = run_job(app, spec)  # the scheduler passes the job its interval
    took = time.monotonic() - started
    timer.join()
    assert outcomes == {"rated": 2}
    # It watched until shortly before its next run (every 1 s here), not longer.
    assert 0.4 < took < 1.0
    assert inbox_states(app) == [("done", "rated"), ("done", "rated")]
