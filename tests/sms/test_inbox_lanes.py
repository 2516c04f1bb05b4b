"""The inbox drained in lanes (sms/lanes.py): worker processes take their own phones'
callbacks beside the job's thread, on both backends (on SQLite they share its one
writer, each holding it only for its chunk's writes)."""

import multiprocessing
import os
import signal

import pytest

from core import clock
from core.crypto import phone_hash
from jobs.runner import load_table
from jobs.runner import run_job
from models import Rating
from models import db
from models.sms import PHONE_BUCKETS
from models.sms import SmsInbox
from sms import lanes

from .conftest import TOKEN

UP = f"/sms/aliyun/{TOKEN}/up"
LANES = {"sms": {"inbox_lanes": 2}, "jobs": {"intervals": ["sms.inbox=1"]}}


def test_every_bucket_is_in_exactly_one_lane_for_any_lane_count(ctx):
    rows = [
        {"kind": "up", "dedupe_key": f"up:{bucket}", "payload": "{}", "phone_bucket": bucket}
        for bucket in range(PHONE_BUCKETS)
    ]
    for part in range(0, len(rows), 100):
        SmsInbox.insert_many(rows[part : part + 100]).execute()
    everything = sorted(row.id for row in SmsInbox.waiting())
    for count in (1, 2, 3, 5, 16):
        taken = [sorted(row.id for row in SmsInbox.waiting((index, count))) for index in range(count)]
        assert sorted(i for lane in taken for i in lane) == everything, count
        assert min(len(lane) for lane in taken) >= PHONE_BUCKETS // count  # shares differ by one at most


def _phones(app, per_lane: int) -> tuple[list[str], list[str]]:
    """Phones of lane 0 and lane 1 of two (by the test keys' lookup hash)."""
    low, high = [], []
    with app.app_context():
        for n in range(1000):
            phone = f"1390000{n:04d}"
            (low if SmsInbox.bucket_of(phone_hash(phone)) < PHONE_BUCKETS // 2 else high).append(phone)
            if len(low) >= per_lane and len(high) >= per_lane:
                return low[:per_lane], high[:per_lane]
    raise AssertionError("no phones for both lanes")


def _invite(bot, phones: list[str], start: int = 0) -> None:
    sent = len(bot.fake.sent)
    for n, phone in enumerate(phones, start=start):
        bot.complete(f"GA-2026-{n:04d}", phone=phone)
    bot.send()  # the invitations, and any thank-you SMS still queued
    template = bot.app.config["SETTINGS"].sms.aliyun.invite_template
    invited = [r["phone"] for r in bot.fake.sent[sent:] if r["template_code"] == template]
    assert sorted(invited) == sorted(phones)


def _push(client, fake, phones: list[str], text: str = "5") -> None:
    assert client.post(UP, json=[fake.up_item(phone, text) for phone in phones]).status_code == 200


def _job(app):
    spec = next(s for s in load_table(app.config["SETTINGS"].jobs) if s.id == "sms.inbox")
    return run_job(app, spec)


def test_stored_callbacks_carry_their_phones_bucket_and_a_lane_reads_only_its_own(app, client, fake, bot):
    low, high = _phones(app, 3)
    _invite(bot, low + high)
    _push(client, fake, low + high)
    with app.app_context(), db.connection_context():
        rows = list(SmsInbox.select().order_by(SmsInbox.id))
        assert [row.phone_bucket for row in rows] == [SmsInbox.bucket_of(phone_hash(p)) for p in low + high]
        first = [row.data["phone_number"] for row in SmsInbox.pending(10, (0, 2))]
        second = [row.data["phone_number"] for row in SmsInbox.pending(10, (1, 2))]
        assert (first, second) == (low, high)  # each in arrival order
        assert [row.data["phone_number"] for row in SmsInbox.pending(10)] == low + high


@pytest.mark.settings(LANES)
def test_the_job_drains_every_lane_each_reply_once_with_the_schedulers_clock(app, client, fake, bot):
    low, high = _phones(app, 4)
    _invite(bot, low + high)
    _push(client, fake, low + high)
    assert _job(app) == {"rated": 8}
    with app.app_context():
        assert lanes.lane_count() == 2
        with db.connection_context():
            assert SmsInbox.select().where(SmsInbox.state != "done").count() == 0
            ratings = list(Rating.select())
            assert len(ratings) == 8 and len({r.case_id for r in ratings}) == 8
            # The worker rated on the scheduler's (here frozen) clock, not its own.
            assert {r.created_at for r in ratings} == {clock.now()}
    workers = multiprocessing.active_children()
    # The lane-1 phones were rated by a worker process (the job's own lane takes only lane 0's).
    assert len(workers) >= 1
    # A worker that dies between runs is replaced: the next run still drains its lane.
    for worker in workers:
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=10)
    more_low, more_high = _phones(app, 6)
    _invite(bot, more_low[4:] + more_high[4:], start=100)
    _push(client, fake, more_low[4:] + more_high[4:], "4")
    assert _job(app) == {"rated": 4}
    with app.app_context(), db.connection_context():
        assert Rating.select().count() == 12
        assert SmsInbox.select().where(SmsInbox.state != "done").count() == 0


@pytest.mark.settings(LANES)
def test_closing_the_lanes_ends_their_workers(app, client, fake, bot):
    low, high = _phones(app, 1)
    _invite(bot, low + high)
    _push(client, fake, low + high)
    before = set(multiprocessing.active_children())
    assert _job(app) == {"rated": 2}
    workers = set(multiprocessing.active_children()) - before
    assert len(workers) == 1
    with app.app_context():
        lanes.close()
        lanes.close()  # twice: nothing left to end
    assert [(w.name, w.exitcode) for w in workers if w.is_alive()] == []


@pytest.mark.settings(LANES)
def test_a_failing_lane_fails_the_run_only_after_the_other_lanes_are_done(app, client, fake, bot, monkeypatch):
    low, high = _phones(app, 2)
    _invite(bot, low + high)
    _push(client, fake, low + high)

    def broken(**_kw):
        raise RuntimeError("lane 0 lost its connection")

    working = lanes.process_inbox
    monkeypatch.setattr(lanes, "process_inbox", broken)  # the job's own lane; the workers run their own code
    assert _job(app) is None  # the run failed (recorded for staff)
    with app.app_context(), db.connection_context():
        rated = {row.data["phone_number"] for row in SmsInbox.select().where(SmsInbox.state == "done")}
    # The workers' lane finished its phones all the same; the failing lane's wait for the next run.
    assert rated == set(high)
    monkeypatch.setattr(lanes, "process_inbox", working)
    assert _job(app) == {"rated": len(low)}
    with app.app_context(), db.connection_context():
        assert Rating.select().count() == 4
