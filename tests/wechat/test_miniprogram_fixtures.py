"""The mini program's tests replay what the backend really answers.

This module drives the mini-program API (`/api/wx/…`) through the Flask test
client, the real rating core and the fake WeChat server, exactly as the mini
program calls it, and compares every exchange with the recording the mini
program's jest tests replay (`miniprogram/tests/fixtures/backend.json`).

When the API changes, this test fails; re-record with

    HCP_RECORD_MINIPROGRAM=1 .venv/bin/python -m pytest tests/wechat/test_miniprogram_fixtures.py

and run the mini program's tests (`cd miniprogram && npm test`): a client that
no longer matches the new answers (or whose requests no longer match the
recorded requests) fails there.

Rating codes are random, so the recording names each case by a fixed code of
the same alphabet and length; everything else (tokens, ids, ticket numbers,
times) is deterministic under the frozen clock.
"""

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest

from core import clock
from core.codes import ALPHABET
from core.codes import CODE_LENGTH
from models import Ticket
from models import db

from ..conftest import NOW
from .fakes import TEMPLATE

FIXTURE = Path(__file__).resolve().parents[2] / "miniprogram" / "tests" / "fixtures" / "backend.json"
RECORD = os.environ.get("HCP_RECORD_MINIPROGRAM") == "1"
# The body flag of a 追评 as the backend accepts it today (the mini program keeps
# the same name in one constant, utils/rating.js).
ADDENDUM_FLAG = "addendum"
# Fixed stand-ins for the random rating codes of the recorded cases.
PLACEHOLDERS = {
    "good": "GQQDCASE2",
    "bad": "BADCASE23",
    "expired": "XPRDCASE4",
    "closed": "CLSDCASE5",
    "late": "LATECASE6",
}
assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in PLACEHOLDERS.values())


class Recorder:
    """Calls the API like the mini program does and keeps each named exchange."""

    def __init__(self, client):
        self.client = client
        self.exchanges: dict[str, dict] = {}

    def call(self, name, method, path, *, query=None, body=None, token=None, status=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        res = self.client.open(path, method=method, query_string=query, json=body, headers=headers)
        answer = res.get_json()
        if status is not None:
            assert res.status_code == status, (name, res.status_code, answer)
        if name is not None:
            assert name not in self.exchanges, name
            self.exchanges[name] = {
                "request": {"method": method, "path": path, "query": query or {}, "headers": headers, "body": body},
                "response": {"status": res.status_code, "body": answer},
            }
        return answer

    def login(self, name, code):
        return self.call(name, "POST", "/api/wx/login", body={"code": code}, status=200)["token"]


def at(minutes: int) -> None:
    """Move the frozen clock to NOW + minutes: each step of the story at its own time."""
    clock.freeze(NOW + dt.timedelta(minutes=minutes))


def create_case(client, make, case_no: str, **changes) -> str:
    res = client.post("/api/v1/cases", json=make.case_payload(case_no, **changes), headers=make.auth(make.police_key))
    assert res.status_code == 201, res.get_json()
    return res.get_json()["rating_code"]


def set_ticket(ticket_no: str, **changes) -> None:
    """A department's progress on a ticket, as the workflow leaves the row."""
    with db.connection_context():
        assert Ticket.update(**changes).where(Ticket.ticket_no == ticket_no).execute() == 1


def record(client, make, fake_wx) -> dict:
    rec = Recorder(client)
    codes = {
        "good": create_case(client, make, "GA-2026-0101"),
        "bad": create_case(client, make, "GA-2026-0102", item_code="610118-GAJ-001"),
        "expired": create_case(
            client,
            make,
            "GA-2026-0103",
            accepted_at="2026-10-09T09:00:00+08:00",
            completed_at="2026-10-09T09:40:00+08:00",
        ),
        "closed": create_case(client, make, "GA-2026-0104"),
        # Its 30-day rating window closes at 10:03 today: open at 10:00, refused at 10:05.
        "late": create_case(
            client,
            make,
            "GA-2026-0105",
            accepted_at="2026-10-27T09:00:00+08:00",
            completed_at="2026-10-27T10:03:00+08:00",
        ),
    }

    # A session issued four days ago has expired (72 hours): the mini program
    # logs in again and repeats the request once.
    clock.freeze(NOW - dt.timedelta(days=4))
    stale = rec.login(None, "alice.0")
    at(0)
    rec.call("mine_token_expired", "GET", "/api/wx/ratings/mine", token=stale, status=401)
    token = rec.login("login", "alice.1")
    fake_wx.fail_next("jscode2session", -1)
    rec.call("login_wechat_down", "POST", "/api/wx/login", body={"code": "alice.2"}, status=503)

    ctx = "/api/wx/rating-context"
    rec.call("context_good", "GET", ctx, query={"code": codes["good"]}, token=token, status=200)
    rec.call("context_bad", "GET", ctx, query={"code": codes["bad"]}, token=token, status=200)
    rec.call("context_expired", "GET", ctx, query={"code": codes["expired"]}, token=token, status=200)
    rec.call("context_late", "GET", ctx, query={"code": codes["late"]}, token=token, status=200)
    rec.call("context_staff", "GET", ctx, query={"scene": "s:S001"}, token=token, status=200)
    rec.call("context_window", "GET", ctx, query={"scene": "w:W05"}, token=token, status=200)
    rec.call("context_unknown_code", "GET", ctx, query={"code": "ZZZZZZZZZ"}, token=token, status=404)
    rec.call("context_unknown_scene", "GET", ctx, query={"scene": "w:NOPE"}, token=token, status=404)

    rate = "/api/wx/ratings"
    good = {"code": codes["good"], "level": 5, "labels": ["501", "502"], "comment": "办事很快，态度很好"}
    at(5)
    rec.call("rate_good", "POST", rate, body=good, token=token, status=201)
    rec.call("context_rated", "GET", ctx, query={"code": codes["good"]}, token=token, status=200)
    rec.call("rate_expired", "POST", rate, body={"code": codes["late"], "level": 5}, token=token, status=410)

    at(10)
    bad = {"code": codes["bad"], "level": 2, "labels": ["201", "202"], "comment": "排队两个小时，窗口说系统故障"}
    bad_ticket = rec.call("rate_bad", "POST", rate, body=bad, token=token, status=201)["ticket_no"]
    accept = {"errMsg": "requestSubscribeMessage:ok", TEMPLATE: "accept"}
    rec.call("subscribe_accept", "POST", "/api/wx/subscriptions", body=accept, token=token, status=200)
    reject = {"errMsg": "requestSubscribeMessage:ok", TEMPLATE: "reject"}
    rec.call("subscribe_reject", "POST", "/api/wx/subscriptions", body=reject, token=token, status=200)
    rec.call("mine_after_bad", "GET", "/api/wx/ratings/mine", token=token, status=200)

    at(20)
    onsite = {"scene": "s:S001", "level": 1, "labels": ["101"]}
    staff_ticket = rec.call("rate_staff", "POST", rate, body=onsite, token=token, status=201)["ticket_no"]
    at(25)
    closed = {"code": codes["closed"], "level": 1}
    closed_ticket = rec.call(None, "POST", rate, body=closed, token=token, status=201)["ticket_no"]

    at(30)
    addendum = {"code": codes["good"], "level": 4, "labels": ["401"], "comment": "补充：取证也很顺利"}
    addendum[ADDENDUM_FLAG] = True
    rec.call("rate_addendum", "POST", rate, body=addendum, token=token, status=201)

    # The departments' progress: one ticket being rectified, one answered, one closed.
    replied_at = NOW + dt.timedelta(days=2)
    apology = "经核实，当日系统升级导致排队，已增开窗口并向您致歉。"
    set_ticket(bad_ticket, state="replied", reply_text=apology, replied_at=replied_at)
    set_ticket(staff_ticket, state="rectifying")
    set_ticket(closed_ticket, state="closed", reply_text="已对窗口人员批评教育并整改。", replied_at=replied_at)
    clock.freeze(NOW + dt.timedelta(days=3))
    token = rec.login("login_later", "alice.3")
    rec.call("mine", "GET", "/api/wx/ratings/mine", token=token, status=200)
    bob = rec.login("login_bob", "bob.1")
    rec.call("mine_empty", "GET", "/api/wx/ratings/mine", token=bob, status=200)

    # On site, three ratings a day per rater and window.
    for n in range(3):
        rec.call("rate_window" if n == 0 else None, "POST", rate, body={"scene": "w:W05", "level": 5}, token=bob)
    rec.call("rate_limit", "POST", rate, body={"scene": "w:W05", "level": 5}, token=bob, status=429)
    rec.call("context_window_limit", "GET", ctx, query={"scene": "w:W05"}, token=bob, status=200)

    # Refusals that reach the database's unique index come last: on PostgreSQL a
    # refused INSERT still takes a value of the id sequence, and the ids and
    # ticket numbers above must be the same on both databases.
    rec.call("rate_again", "POST", rate, body={"code": codes["good"], "level": 4}, token=token, status=409)
    rec.call("rate_addendum_again", "POST", rate, body=addendum, token=token, status=409)

    # Too many requests from one WeChat user ([limits] wx_user): the same rating
    # as `rate_bad`'s body shape, refused before it reaches the rating core.
    throttled = {"code": codes["bad"], "level": 2, "labels": ["201", "202"], "comment": "排队两个小时，窗口说系统故障"}
    for _ in range(100):
        res = client.post(rate, json=throttled, headers={"Authorization": f"Bearer {token}"})
        if res.status_code == 429:
            break
    else:
        pytest.fail("the wx_user limit never answered 429")
    rec.call("rate_throttled", "POST", rate, body=throttled, token=token, status=429)
    # The wait it names counts real seconds to the window's end (60 or 61 minutes
    # by a fraction of a second); the recording keeps the configured hour.
    message = rec.exchanges["rate_throttled"]["response"]["body"]["error"]
    message["message"] = re.sub(r"请 6[01] 分钟后再试", "请 60 分钟后再试", message["message"])

    text = json.dumps(rec.exchanges, ensure_ascii=False, sort_keys=True)
    for name, code in codes.items():
        text = text.replace(code, PLACEHOLDERS[name])
    return {
        "about": "Recorded by tests/wechat/test_miniprogram_fixtures.py from the backend; do not edit by hand.",
        "exchanges": json.loads(text),
    }


@pytest.mark.settings({"limits": {"wx_user": "60/hour"}})
def test_the_mini_programs_recording_is_what_the_backend_answers(client, make, fake_wx):
    fresh = record(client, make, fake_wx)
    if RECORD:
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(fresh, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert FIXTURE.exists(), f"{FIXTURE} is missing: record it with HCP_RECORD_MINIPROGRAM=1"
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert recorded == fresh, (
        "The mini-program API no longer answers what the mini program's tests replay. "
        "Re-record with HCP_RECORD_MINIPROGRAM=1 and make `cd miniprogram && npm test` pass."
    )
