"""A phone verified by an SMS one-time code binds a window-QR rating to a person: the code
goes out through the outbox and the real SDK (to the fake Aliyun, its verification-code
template), and the verified phone is capped per window and day whatever cookies come and go."""

import datetime as dt

import pytest

from core import clock
from core.crypto import phone_hash
from models import Outbox
from models import PhoneVerification
from models import Rating
from models import RatingFlag
from models import db
from tests.web.helpers import csrf_from

from ..conftest import NOW

MOBILE = "13900001111"


def ask_code(browser, level=5, phone=MOBILE):
    form = browser.get("/q/w:W04")
    token = csrf_from(form.get_data(as_text=True))
    res = browser.post("/q/w:W04", data={"csrf_token": token, "level": str(level), "phone": phone, "op": "otp"})
    return token, res


def code_sent(fake, phone=MOBILE):
    sms = [s for s in fake.sent if s["phone"] == phone][-1]
    assert sms["template_code"] == "SMS_000000004"
    return sms["params"]["code"]


def submit(browser, token, code, level=5, phone=MOBILE):
    data = {"csrf_token": token, "level": str(level), "phone": phone, "otp_code": code}
    return browser.post("/q/w:W04", data=data)


def test_a_verified_phone_rates_as_itself(app, bot, fake, make):
    browser = app.test_client()
    token, res = ask_code(browser)
    page = res.get_data(as_text=True)
    assert res.status_code == 200 and "验证码已发送至 139****1111" in page and 'id="otp_code"' in page
    # The chosen level survives the round trip.
    assert 'value="5" required checked' in page
    with db.connection_context():
        row = PhoneVerification.get()
        assert row.phone_hash == phone_hash(MOBILE) and len(row.code_hash) == 64
        assert Outbox.get(Outbox.dedupe_key == f"otp:{row.id}").data["purpose"] == "otp"
    assert bot.send() == {"sent": 1}
    code = code_sent(fake)
    assert len(code) == 6 and code.isdigit()

    wrong = submit(browser, token, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 422 and "验证码不正确" in wrong.get_data(as_text=True)
    ok = submit(browser, token, code)
    assert ok.status_code == 303
    with db.connection_context():
        rating = Rating.get()
        assert rating.rater_ref == "phone:" + phone_hash(MOBILE)
        assert rating.network_slot is None and not rating.excluded  # not an anonymous client of its network
        assert PhoneVerification.get().verified_at == NOW and PhoneVerification.get().attempts == 1
    assert "感谢您的评价" in browser.get(ok.headers["Location"]).get_data(as_text=True)


def test_the_verified_phone_is_capped_whatever_the_cookies(app, bot, fake, make):
    cap = app.config["SETTINGS"].ratings.onsite_daily_limit
    for n in range(cap + 1):
        clock.freeze(NOW + dt.timedelta(minutes=30 * n))
        browser = app.test_client()  # a new browser each time: no cookie to count by
        token, _ = ask_code(browser)
        bot.send()
        res = submit(browser, token, code_sent(fake))
        if n < cap:
            assert res.status_code == 303
        else:
            assert res.status_code == 429 and "今日评价次数已满" in res.get_data(as_text=True)
    with db.connection_context():
        assert Rating.select().count() == cap


def test_a_code_dies_after_its_minutes_and_cannot_be_borrowed(app, bot, fake, make):
    browser = app.test_client()
    token, _ = ask_code(browser)
    bot.send()
    code = code_sent(fake)
    # Another browser holding the code but not the session that asked for it: no.
    other = app.test_client()
    other_token = csrf_from(other.get("/q/w:W04").get_data(as_text=True))
    assert "请先获取发送至 139****1111 的验证码" in submit(other, other_token, code).get_data(as_text=True)
    clock.freeze(NOW + dt.timedelta(minutes=11))
    late = submit(browser, token, code)
    assert late.status_code == 422 and "验证码已失效" in late.get_data(as_text=True)
    with db.connection_context():
        assert Rating.select().count() == 0


def test_a_code_is_not_sent_once_it_expired_and_is_sent_in_quiet_hours(app, bot, fake, make):
    clock.freeze(dt.datetime(2026, 11, 26, 22, 30))  # quiet hours: invitations wait, a code does not
    ask_code(app.test_client())
    assert bot.send() == {"sent": 1}
    ask_code(app.test_client(), phone="13900002222")
    clock.freeze(dt.datetime(2026, 11, 26, 22, 45))
    assert bot.send() == {"expired": 1}
    assert not [s for s in fake.sent if s["phone"] == "13900002222"]


def test_too_many_codes_for_one_phone(app, bot, make):
    for n in range(6):
        clock.freeze(NOW + dt.timedelta(minutes=n))
        _, res = ask_code(app.test_client())
    assert res.status_code == 429 and "获取验证码过于频繁" in res.get_data(as_text=True)
    with db.connection_context():
        assert PhoneVerification.select().count() == 5


@pytest.mark.settings({"ratings": {"onsite_network_daily_limit": 1}})
def test_verified_phones_do_not_spend_the_networks_anonymous_budget(app, bot, fake, make):
    def anonymous():
        browser = app.test_client()
        token = csrf_from(browser.get("/q/w:W04").get_data(as_text=True))
        assert browser.post("/q/w:W04", data={"csrf_token": token, "level": "5"}).status_code == 303

    anonymous()
    browser = app.test_client()
    token, _ = ask_code(browser)
    bot.send()
    assert submit(browser, token, code_sent(fake)).status_code == 303
    anonymous()
    with db.connection_context():
        held = [flag.rating.rater_ref.split(":")[0] for flag in RatingFlag.select()]
        assert held == ["browser"]
        assert Rating.select().where(~Rating.excluded).count() == 2
