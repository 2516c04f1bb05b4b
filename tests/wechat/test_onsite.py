"""Case-less ratings from the mini program (a window's scene): bound to the WeChat user, and
to the network like any on-site rating; a held rating answers 201 with `held` and a calm notice."""

import datetime as dt

from core import clock
from models import Rating
from models import db

from ..conftest import NOW
from .fakes import login

NAT = {"REMOTE_ADDR": "203.0.113.50"}


def test_a_burst_of_wechat_users_on_one_network_is_held_calmly(app, client, make):
    answers = []
    for n in range(7):
        clock.freeze(NOW + dt.timedelta(seconds=20 * n))
        auth = login(client, name=f"user{n}")
        res = client.post(
            "/api/wx/ratings", json={"scene": "w:W04", "level": 1, "labels": ["101"]}, headers=auth, environ_base=NAT
        )
        assert res.status_code == 201, res.get_json()
        answers.append(res.get_json())
    assert [a["held"] for a in answers] == [False] * 6 + [True]
    assert "notice" not in answers[0]
    assert "核实后计入统计结果" in answers[-1]["notice"]
    with db.connection_context():
        # A pattern, whichever accounts: the six before it are held with it.
        assert Rating.select().where(Rating.excluded).count() == 7


def test_one_wechat_user_is_capped_per_window_and_day(app, client, make):
    auth = login(client, name="eager")
    cap = app.config["SETTINGS"].ratings.onsite_daily_limit
    for n in range(cap):
        clock.freeze(NOW + dt.timedelta(minutes=15 * n))
        ok = client.post("/api/wx/ratings", json={"scene": "w:W04", "level": 5}, headers=auth)
        assert ok.status_code == 201 and ok.get_json()["held"] is False
    refused = client.post("/api/wx/ratings", json={"scene": "w:W04", "level": 5}, headers=auth)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rating_limit_reached"
