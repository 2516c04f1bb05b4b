"""A chunk reads and decides first, then writes (sms/inbox.py): on SQLite only its
writes hold the one write lock. Replies that write at once are redone under it, each
once; a callback another run took meanwhile is handled once."""

import threading

from models import OptOut
from models import Outbox
from models import Rating
from models import db
from models.sms import SmsInbox
from sms import inbox
from sms import router
from sms.batch import Batch

from .conftest import PHONES
from .conftest import TOKEN
from .conftest import inbox_states
from .conftest import push


def _while_deciding(monkeypatch, work) -> list:
    """Run `work()` in another thread while the first chunk decides its first reply to an
    invitation, and wait for it there; returns [what it returned] if it ended within that
    wait (empty: it was kept waiting)."""
    done: list = []
    returned: list = []
    original = router.HANDLERS["invite"]

    def deciding(incoming, prompt):
        if not deciding.started:
            deciding.started = True
            worker = threading.Thread(target=lambda: returned.append(work()), daemon=True)
            worker.start()
            worker.join(timeout=8)
            done.extend(returned)
        return original(incoming, prompt)

    deciding.started = False
    monkeypatch.setitem(router.HANDLERS, "invite", deciding)
    monkeypatch.setattr(router, "READ_FIRST", router.READ_FIRST | {deciding})
    return done


def _sms_keys(app) -> list[str]:
    with app.app_context(), db.connection_context():
        query = Outbox.select(Outbox.dedupe_key).where(Outbox.kind == "sms.message").order_by(Outbox.dedupe_key)
        return [key for (key,) in query.tuples()]


def test_the_webhook_stores_while_a_chunk_decides(app, client, fake, invited, monkeypatch):
    p1, p2 = PHONES[:2]

    def webhook():
        with app.app_context(), db.connection_context():
            inbox.store_callback("up", [fake.up_item(p2, "4")])
            return "stored"

    stored = _while_deciding(monkeypatch, webhook)
    push(client, fake, (p1, "5"))
    assert invited.process() == {"rated": 2}  # p1's chunk, then p2's, stored meanwhile
    assert stored == ["stored"]  # within the chunk: not kept waiting for its writes
    with app.app_context(), db.connection_context():
        assert sorted(r.level for r in Rating.select()) == [4, 5]


def test_replies_that_write_at_once_are_handled_under_the_lock_each_once(app, client, fake, invited):
    p1, p2, p3, p4, p5 = PHONES
    sms = next(r for r in fake.sent if r["phone"] == p4)
    assert client.post(f"/sms/aliyun/{TOKEN}/report", json=[fake.report_item(sms)]).status_code == 200
    # One chunk: an opt-out and a delivery report write at once; a rating, a question and
    # another rating only queue their writes.
    push(client, fake, (p1, "TD"), (p2, "5"), (p3, "你好"), (p5, "3"))
    with app.app_context(), db.connection_context():
        assert len(inbox._take(10)[0]) == 5
    assert invited.process() == {"delivered": 1, "opted_out": 1, "rated": 2, "clarified": 1}
    assert [outcome for _, outcome in inbox_states(app)] == ["delivered", "opted_out", "rated", "clarified", "rated"]
    with app.app_context(), db.connection_context():
        assert OptOut.select().count() == 1
        assert sorted(r.level for r in Rating.select()) == [3, 5]
    keys = _sms_keys(app)
    assert len(keys) == 3 and sum(key.startswith("sms:clarify:") for key in keys) == 1
    assert sum(key.startswith("sms:thanks:") for key in keys) == 2


def test_a_callback_another_run_took_meanwhile_is_handled_once(app, client, fake, invited, monkeypatch):
    def another_run():
        with app.app_context():
            return inbox.process_inbox()

    # SQLite: the other run takes the same pending callbacks and writes first; this chunk
    # then finds them taken, rolls back, and claims none. PostgreSQL: the other run skips
    # the rows this chunk has locked.
    other = _while_deciding(monkeypatch, another_run)
    push(client, fake, (PHONES[0], "5"), (PHONES[1], "4"), (PHONES[2], "2"))
    this = invited.process()
    assert len(other) == 1
    combined = {key: this.get(key, 0) + other[0].get(key, 0) for key in {*this, *other[0]}}
    assert combined == {"rated": 3}  # each reply once: none "already_rated" by the run that lost
    assert [state for state, _ in inbox_states(app)] == ["done"] * 3
    with app.app_context(), db.connection_context():
        assert sorted(r.level for r in Rating.select()) == [2, 4, 5]
        assert SmsInbox.select().where(SmsInbox.outcome == "rated").count() == 3
    keys = _sms_keys(app)
    assert sum(key.startswith("sms:thanks:") for key in keys) == 2 and len(keys) == 3  # and one 差评 ack


def test_a_reply_stopped_midway_leaves_nothing_queued(app, ctx):
    batch = Batch()
    batch.say(PHONES[0], "kept", "感谢您的评价")
    mark = batch.mark()
    batch.say(PHONES[1], "dropped", "感谢您的评价")  # then its first write was refused
    batch.close_rated(PHONES[1], "invitation:1")
    batch.undo(mark)
    batch.flush()
    assert [row.dedupe_key for row in Outbox.select()] == ["sms:kept"]
