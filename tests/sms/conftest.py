"""SMS fixtures: the fake Aliyun endpoint, the real SDK pointed at it, and
the app served over HTTP so that the fake can post its callbacks."""

import threading

import pytest
from werkzeug.serving import make_server

from core import clock
from models import Case
from models import Invitation
from models import db
from models.sms import SmsInbox
from sms.fake_aliyun import FakeAliyun
from sms.jobs import process_inbox
from sms.jobs import send_due
from sms.jobs import sweep_invitations

TOKEN = "cb-token-0123456789abcdef"
PHONE = "13800138000"


@pytest.fixture
def fake():
    server = FakeAliyun("test-ak", "test-secret").serve()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(settings_overrides, fake):
    marked = dict(settings_overrides.get("sms", {}))
    aliyun = {
        "access_key_id": "test-ak",
        "access_key_secret": "test-secret",
        "endpoint": fake.endpoint,
        "protocol": "http",
        "connect_timeout_seconds": 1,
        "read_timeout_seconds": 1,
        # The fake answers from a thread of the test process: a few calls at once, or a busy
        # machine's GIL can hold an answer past the 1 s read timeout (a lost answer, "unknown").
        "concurrency": 4,
        **marked.pop("aliyun", {}),
    }
    settings_overrides["sms"] = {"provider": "aliyun", "callback_token": TOKEN, **marked, "aliyun": aliyun}
    return settings_overrides


@pytest.fixture
def live(app, fake):
    """The app on an ephemeral port; the fake posts callbacks to it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/sms/aliyun/{TOKEN}"
    fake.callback_base = base
    yield base
    server.shutdown()


class Bot:
    """Drives the jobs the scheduler would run, in the app's context."""

    def __init__(self, app, client, make, fake):
        self.app, self.client, self.make, self.fake = app, client, make, fake

    def complete(self, case_no="GA-2026-0001", phone=PHONE, **changes):
        payload = self.make.case_payload(case_no, **changes)
        if phone is not None:
            payload["applicant"] = {**payload["applicant"], "phone": phone}
        resp = self.client.post("/api/v1/cases", json=payload, headers=self.make.auth(self.make.police_key))
        assert resp.status_code in (200, 201), resp.get_json()
        return resp.get_json()

    def send(self):
        with self.app.app_context():
            return send_due()

    def process(self):
        with self.app.app_context():
            return process_inbox()

    def sweep(self):
        with self.app.app_context():
            return sweep_invitations()

    def up(self, content, phone=PHONE, **kw):
        resp = self.client.post(f"/sms/aliyun/{TOKEN}/up", json=[self.fake.up_item(phone, content, **kw)])
        assert resp.status_code == 200
        return self.process()

    def invitation(self, case_no="GA-2026-0001"):
        with self.app.app_context(), db.connection_context():
            return Invitation.get(Invitation.case == Case.by_case_no(case_no))

    def texts_to(self, phone=PHONE):
        """What the fake delivered to `phone`, as the citizen reads it (the params)."""
        return [r for r in self.fake.sent if r["phone"] == phone]

    def at(self, when):
        clock.freeze(when)


@pytest.fixture
def bot(app, client, make, fake):
    return Bot(app, client, make, fake)


# -- the inbox tests: five phones, each with a case completed and its invitation sent

PHONES = ["13800138001", "13800138002", "13800138003", "13800138004", "13800138005"]


@pytest.fixture
def invited(bot):
    """Five completed cases, one per phone, their invitations sent."""
    for n, phone in enumerate(PHONES):
        bot.complete(f"GA-2026-{n:04d}", phone=phone)
    assert bot.send() == {"sent": len(PHONES)}
    return bot


def push(client, fake, *replies, **kw):
    items = [fake.up_item(phone, text, **kw) for phone, text in replies]
    assert client.post(f"/sms/aliyun/{TOKEN}/up", json=items).status_code == 200


def inbox_states(app):
    with app.app_context(), db.connection_context():
        return list(SmsInbox.select(SmsInbox.state, SmsInbox.outcome).order_by(SmsInbox.id).tuples())
