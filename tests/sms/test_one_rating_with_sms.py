"""One case, one rating, with the SMS channel in the race too."""

import pytest

from models import Case
from models import Rating
from models import db
from tests.web.helpers import csrf_from
from tests.wechat.fakes import fake_wx  # noqa: F401
from tests.wechat.fakes import login
from tests.wechat.fakes import point_at


@pytest.fixture
def settings_overrides(settings_overrides, fake_wx):  # noqa: F811 - the imported fixture, requested
    return point_at(settings_overrides, fake_wx)


def h5(client, code, level):
    page = client.get(f"/r/{code}").get_data(as_text=True)
    if "csrf_token" not in page:
        return 409
    res = client.post(f"/r/{code}", data={"csrf_token": csrf_from(page), "level": str(level)})
    return 201 if res.status_code == 303 else res.status_code


def ratings(app):
    with app.app_context(), db.connection_context():
        return list(Rating.select().where(Rating.case == Case.by_case_no("GA-2026-0001")))


def test_an_sms_reply_first_refuses_every_other_channel(app, client, make, bot):
    code = bot.complete()["rating_code"]
    bot.send()
    assert bot.up("4") == {"rated": 1}
    auth = login(client, name="sms-first")
    assert h5(app.test_client(), code, 1) == 409
    assert client.post("/api/wx/ratings", json={"code": code, "level": 1}, headers=auth).status_code == 409
    pad = client.post(
        "/api/v1/ratings",
        json={"case_no": "GA-2026-0001", "level": 1, "channel": "pad"},
        headers=make.auth(make.police_key),
    )
    assert pad.status_code == 409
    [rating] = ratings(app)
    assert (rating.channel, rating.level) == ("sms", 4)


@pytest.mark.parametrize("first", ["h5", "wechat", "pad"])
def test_an_sms_reply_after_another_channel_is_answered_politely(app, client, make, bot, fake, first):
    code = bot.complete()["rating_code"]
    bot.send()
    if first == "h5":
        assert h5(app.test_client(), code, 5) == 201
    elif first == "wechat":
        auth = login(client, name="wechat-first")
        assert client.post("/api/wx/ratings", json={"code": code, "level": 5}, headers=auth).status_code == 201
    else:
        body = {"case_no": "GA-2026-0001", "level": 5, "channel": "pad"}
        assert client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key)).status_code == 201
    bot.up("1")
    bot.send()
    assert fake.sent[-1]["params"]["content"] == "该办件已经评价过了，感谢您的参与。"
    [rating] = ratings(app)
    assert (rating.level, rating.channel) == (5, {"h5": "h5", "wechat": "wechat", "pad": "pad"}[first])
