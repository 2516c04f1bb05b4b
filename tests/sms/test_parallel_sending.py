"""Invitations leave in parallel within the account's QPS (sms/throttle.py), each exactly once."""

import threading
import time

import pytest

from models import Invitation
from models import Outbox
from models import db
from models.sms import SmsMessage
from sms.throttle import Pace
from sms.throttle import call_all


def test_pace_spaces_starts_evenly_without_a_burst():
    now, slept = [100.0], []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        now[0] += seconds

    pace = Pace(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        pace.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]  # the first at once, then one every 1/qps
    now[0] += 10  # idle for a while: no credit piles up
    pace.wait()
    pace.wait()
    assert slept[-1] == 0.25 and len(slept) == 5


def test_call_all_keeps_order_concurrency_and_closes_every_client():
    in_flight, peak, lock, clients = [0], [0], threading.Lock(), []

    class Client:
        closed = False

        def close(self):
            self.closed = True

    def make():
        client = Client()
        clients.append(client)
        return client

    def call(client, job):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.01)
        with lock:
            in_flight[0] -= 1
        return job * 2

    assert call_all(list(range(40)), call, make, concurrency=4, qps=5000) == [n * 2 for n in range(40)]
    assert 1 <= peak[0] <= 4 and 1 <= len(clients) <= 4 and all(c.closed for c in clients)


@pytest.mark.settings({"sms": {"aliyun": {"qps": 40, "concurrency": 8}}})
def test_many_invitations_leave_in_parallel_once_each_within_the_qps(app, bot, fake):
    phones = [f"1390013{n:04d}" for n in range(24)]
    for n, phone in enumerate(phones):
        bot.complete(f"GA-2026-{n:04d}", phone=phone)
    started = time.monotonic()
    assert bot.send() == {"sent": 24}
    elapsed = time.monotonic() - started
    # Every invitation once, to its own phone; every attempt recorded and settled.
    assert sorted(r["phone"] for r in fake.sent) == sorted(phones)
    assert len({r["out_id"] for r in fake.sent}) == 24
    with app.app_context(), db.connection_context():
        assert Invitation.select().where(Invitation.state == "sent").count() == 24
        assert SmsMessage.select().where(SmsMessage.state == "sent").count() == 24
        assert Outbox.select().where((Outbox.kind == "sms.invite") & (Outbox.state == "sent")).count() == 24
        assert all(m.provider_id for m in SmsMessage.select())
    # 24 starts at most 40 a second: never faster than 23/40 s from the first to the last.
    assert elapsed >= 23 / 40 * 0.95
    assert bot.send() == {}


def test_while_replies_wait_in_a_backlog_the_sender_leaves_the_cpu_to_the_inbox(app, bot, fake, client, monkeypatch):
    """Replies first (sms/sender.py): with INBOX_BACKLOG callbacks waiting, no SMS chunk starts;
    once the inbox job has turned them into ratings, what was due leaves."""
    from sms import sender

    from .conftest import TOKEN

    monkeypatch.setattr(sender, "INBOX_BACKLOG", 2)
    phones = ["13900130001", "13900130002", "13900130003"]
    for n, phone in enumerate(phones):
        bot.complete(f"GA-2026-{n:04d}", phone=phone)
    assert bot.send() == {"sent": 3}
    replies = [fake.up_item(phone, "5") for phone in phones[:2]]
    assert client.post(f"/sms/aliyun/{TOKEN}/up", json=replies).status_code == 200
    bot.complete("GA-2026-0009", phone="13900130009")  # an invitation due meanwhile
    assert bot.send() == {"deferred_to_replies": 1}
    assert len(fake.sent) == 3
    assert bot.process() == {"rated": 2}
    assert bot.send() == {"sent": 3}  # the invitation and the two thank-yous
