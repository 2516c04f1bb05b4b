"""The SMS part's helpers (bench/sms.py) on a few replies: the data, the setup
through batch intake and the real sender, and the counts it checks afterwards."""

import json
from collections import Counter

import pytest

from bench import product
from bench import sms
from core.codes import normalize_phone
from models import db
from sms.fake_aliyun import FakeAliyun
from sms.inbox import process_inbox


def test_phones_are_distinct_mobile_numbers_and_levels_follow_the_demo_mix():
    numbers = sms.phones(5000)
    assert len(set(numbers)) == 5000 and all(normalize_phone(n) == n for n in numbers)
    assert Counter(sms.levels(100)) == {5: 68, 4: 20, 3: 7, 2: 3, 1: 2}
    assert Counter(sms.levels(10000)) == {5: 6800, 4: 2000, 3: 700, 2: 300, 1: 200}
    assert sms.levels(100) == sms.levels(100)  # the same run every time


def test_callbacks_are_aliyun_smsup_pushes_and_the_ceiling_gets_the_same_items():
    numbers, levels = sms.phones(250), sms.levels(250)
    bodies = sms.callback_bodies(numbers, levels)
    pushes = [json.loads(body) for body in bodies]
    assert [len(p) for p in pushes] == [100, 100, 50]
    items = [item for push in pushes for item in push]
    assert [i["phone_number"] for i in items] == numbers and [i["content"] for i in items] == [str(x) for x in levels]
    assert len({i["sequence_id"] for i in items}) == 250
    assert set(items[0]) == {"phone_number", "content", "send_time", "dest_code", "sequence_id"}
    cases = json.loads(sms.as_cases(bodies[2]))
    assert len(cases) == 50 and cases[0]["applicant"]["phone"] == numbers[200]
    assert {c["status"] for c in cases} == {"completed"} and len({c["case_no"] for c in cases}) == 50


REPLIES = 130  # two pushes (100 + 30), and more than 100 callbacks in one chunk


@pytest.fixture
def fake():
    server = FakeAliyun(sms.FAKE_AK, sms.FAKE_SECRET).serve()
    yield server
    server.stop()


def test_the_setup_sends_real_invitations_and_every_reply_becomes_one_rating(database_url, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(product, "RESULTS", str(tmp_path))
    fixture = product.prepare(database_url)
    env = sms.sms_env(database_url, fake.endpoint)
    numbers = sms.phones(REPLIES, seed=11)
    timings = sms.seed_invitations(fixture, numbers, env)
    assert set(timings) == {"cases_s", "send_s"}
    # The invitations went out through the product's sender, to the fake, one per phone.
    assert sorted(r["phone"] for r in fake.sent) == sorted(numbers)
    assert {r["template_code"] for r in fake.sent} == {"SMS_000000001"}

    app = sms.in_app(env)
    client = app.test_client()
    for body in sms.callback_bodies(numbers, sms.levels(REPLIES)):
        answer = client.post(f"/sms/aliyun/{sms.TOKEN}/up", data=body, content_type="application/json")
        assert answer.status_code == 200, answer.get_json()
    found = sms.counts(database_url)
    assert found["ratings"] == 0 and found["inbox"] == {"pending": REPLIES}
    with app.app_context():
        outcomes = process_inbox()  # one chunk: the deferred writes go out in parts of 100
    assert outcomes == {"rated": REPLIES}
    found = sms.counts(database_url)
    assert (found["ratings"], found["rated_cases"], found["inbox"]) == (REPLIES, REPLIES, {"done": REPLIES})
    count, close = sms.sms_ratings(sms.raw_connect(database_url))
    assert count() == REPLIES
    close()
    db.obj.close_all()


def test_pushes_are_retried_like_aliyun_and_failures_counted():
    """post_all sends every body once, retrying a refused push after 1 s (at most 3 times)."""
    import threading
    from http.server import BaseHTTPRequestHandler
    from http.server import ThreadingHTTPServer

    seen, refuse = [], {b"[2]": 1, b"[3]": 9}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            return

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(body)
            status = 200
            if refuse.get(body, 0) > 0:
                refuse[body] -= 1
                status = 503
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = sms.post_all(server.server_address[1], "/up", [b"[1]", b"[2]", b"[3]"], clients=2)
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(seen) == [b"[1]", b"[2]", b"[2]", b"[3]", b"[3]", b"[3]", b"[3]"]
    assert (result["failed_posts"], result["retried_posts"]) == (5, 4)
