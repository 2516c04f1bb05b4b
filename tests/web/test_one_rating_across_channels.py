"""One case, one rating: whichever of the H5 page, the mini program and the
window tablet comes first wins; the others are refused clearly."""

import threading

import pytest

from models import Rating
from models import db
from tests.wechat.fakes import login

from .helpers import create_case
from .helpers import csrf_from


def via_h5(client, code, level):
    page = client.get(f"/r/{code}").get_data(as_text=True)
    if "csrf_token" not in page:
        return 409  # the page already says "rated"
    res = client.post(f"/r/{code}", data={"csrf_token": csrf_from(page), "level": str(level)})
    return 201 if res.status_code == 303 else res.status_code


def via_wechat(client, code, level, auth):
    return client.post("/api/wx/ratings", json={"code": code, "level": level}, headers=auth).status_code


def via_tablet(client, make, case_no, level):
    body = {"case_no": case_no, "level": level, "channel": "pad"}
    return client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key)).status_code


@pytest.mark.parametrize("first", ["h5", "wechat", "pad"])
def test_the_first_channel_wins_and_the_others_get_409(app, client, make, first):
    code = create_case(client, make)
    auth = login(client)
    h5_client = app.test_client()
    attempts = {
        "h5": lambda level: via_h5(h5_client, code, level),
        "wechat": lambda level: via_wechat(client, code, level, auth),
        "pad": lambda level: via_tablet(client, make, "GA-2026-0001", level),
    }
    assert attempts[first](2) == 201
    for channel, attempt in attempts.items():
        if channel != first:
            assert attempt(5) == 409, channel
    with db.connection_context():
        [rating] = list(Rating.select())
        assert (rating.channel, rating.level) == ({"h5": "h5", "wechat": "wechat", "pad": "pad"}[first], 2)
    # The rated page and the mini program both say so.
    assert "已经评价过了" in h5_client.get(f"/r/{code}").get_data(as_text=True)
    context = client.get(f"/api/wx/rating-context?code={code}", headers=auth).get_json()
    assert context["already_rated"] is True


def test_simultaneous_ratings_from_three_channels_give_one(app, client, make):
    code = create_case(client, make)
    auth = login(client)
    h5_client, wx_client, pad_client = app.test_client(), app.test_client(), app.test_client()
    page = h5_client.get(f"/r/{code}").get_data(as_text=True)
    token = csrf_from(page)
    results = {}
    barrier = threading.Barrier(3)

    def h5():
        barrier.wait()
        res = h5_client.post(f"/r/{code}", data={"csrf_token": token, "level": "5"})
        results["h5"] = 201 if res.status_code == 303 else res.status_code

    def wx():
        barrier.wait()
        results["wechat"] = via_wechat(wx_client, code, 4, auth)

    def pad():
        barrier.wait()
        results["pad"] = via_tablet(pad_client, make, "GA-2026-0001", 3)

    threads = [threading.Thread(target=fn) for fn in (h5, wx, pad)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results.values()) == [201, 409, 409], results
    with db.connection_context():
        assert Rating.select().count() == 1
