"""`ratings/mine` tells the mini program which ratings may still get their 追评,
and the rating core agrees with it at the edges of both windows."""

import datetime as dt

from core import clock

from .fakes import login
from .test_api import create_case

MINE = "/api/wx/ratings/mine"


def mine(client, auth) -> list[dict]:
    return client.get(MINE, headers=auth).get_json()["ratings"]


def addendum(client, auth, code, level=4):
    return client.post("/api/wx/ratings", json={"code": code, "level": level, "addendum": True}, headers=auth)


def test_a_case_rating_offers_its_addendum_until_the_addendum_window_ends(client, make):
    code = create_case(client, make)
    auth = login(client)
    assert client.post("/api/wx/ratings", json={"code": code, "level": 2}, headers=auth).status_code == 201
    [first] = mine(client, auth)
    # Rated at 10:00 on the 26th; addendum_days = 15.
    assert first["code"] == code and first["addendum_until"] == "2026-12-11T10:00:00+08:00"

    clock.freeze(dt.datetime(2026, 12, 11, 10, 0, 0))
    auth = login(client, n=2)
    assert mine(client, auth)[0]["addendum_until"] == "2026-12-11T10:00:00+08:00"
    assert addendum(client, auth, code).status_code == 201
    addendum_rating, first = mine(client, auth)
    assert addendum_rating["addendum"] is True and addendum_rating["addendum_until"] is None
    assert first["addendum_until"] is None
    assert addendum(client, auth, code).get_json()["error"]["code"] == "already_has_addendum"


def test_no_addendum_once_the_window_has_passed(client, make):
    code = create_case(client, make)
    auth = login(client)
    client.post("/api/wx/ratings", json={"code": code, "level": 5}, headers=auth)
    clock.freeze(dt.datetime(2026, 12, 11, 10, 0, 1))
    auth = login(client, n=2)
    assert mine(client, auth)[0]["addendum_until"] is None
    assert addendum(client, auth, code).get_json()["error"]["code"] == "addendum_closed"


def test_the_rating_window_of_the_case_caps_the_addendum(client, make):
    # Completed 20 days ago: the case's 30-day rating window closes before the 15-day 追评 window.
    payload = make.case_payload("GA-2026-0009", completed_at="2026-11-06T09:40:00+08:00")
    res = client.post("/api/v1/cases", json=payload, headers=make.auth(make.police_key))
    code = res.get_json()["rating_code"]
    auth = login(client)
    client.post("/api/wx/ratings", json={"code": code, "level": 3}, headers=auth)
    assert mine(client, auth)[0]["addendum_until"] == "2026-12-06T09:40:00+08:00"
    clock.freeze(dt.datetime(2026, 12, 6, 9, 40, 1))
    auth = login(client, n=2)
    assert mine(client, auth)[0]["addendum_until"] is None
    assert addendum(client, auth, code).status_code == 410


def test_an_onsite_rating_has_no_code_and_no_addendum(client, make):
    auth = login(client)
    client.post("/api/wx/ratings", json={"scene": "w:W04", "level": 1}, headers=auth)
    [rating] = mine(client, auth)
    assert rating["code"] is None and rating["addendum_until"] is None
