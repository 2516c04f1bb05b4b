"""Sending rules: quiet hours, delay, daily cap, opt-out, reminders, and what
provider errors do to an invitation."""

import datetime as dt

import pytest

from models import Outbox
from models import db
from models.sms import SmsMessage
from sms import queries
from sms.fake_aliyun import FakeAliyun

from .conftest import PHONE


def outbox(app, kind="sms.invite"):
    with app.app_context(), db.connection_context():
        return Outbox.get(Outbox.kind == kind)


def test_quiet_hours_hold_the_invitation_until_they_end(app, bot, fake):
    bot.at(dt.datetime(2026, 11, 26, 21, 30))
    bot.complete(completed_at="2026-11-26T21:20:00+08:00")
    assert bot.send() == {"held": 1}
    assert fake.sent == []
    row = outbox(app)
    assert row.available_at == dt.datetime(2026, 11, 27, 8, 0) and row.attempts == 0
    [listed] = _listing(app)
    assert listed["state"] == "scheduled" and "免打扰时段" in listed["waiting_reason"]
    assert listed["next_attempt_at"] == "2026-11-27T08:00:00+08:00" and listed["phone"] == "138****8000"

    bot.at(dt.datetime(2026, 11, 27, 7, 59))
    assert bot.send() == {}
    bot.at(dt.datetime(2026, 11, 27, 8, 0))
    assert bot.send() == {"sent": 1}
    assert len(fake.sent) == 1


@pytest.mark.settings({"sms": {"quiet_hours": []}})
def test_no_quiet_hours_when_configured_empty(app, bot, fake):
    bot.at(dt.datetime(2026, 11, 26, 23, 30))
    bot.complete(completed_at="2026-11-26T23:20:00+08:00")
    assert bot.send() == {"sent": 1}


@pytest.mark.settings({"sms": {"quiet_hours": ["21:00", "08:00"]}})
def test_quiet_hours_hold_replies_too(app, bot, fake):
    bot.complete()
    bot.send()
    bot.at(dt.datetime(2026, 11, 26, 22, 0))
    assert bot.up("5") == {"rated": 1}
    assert bot.send() == {"held": 1}
    assert len(fake.sent) == 1


@pytest.mark.settings({"sms": {"invite_delay_minutes": 30}})
def test_invite_delay(app, bot, fake):
    bot.complete(completed_at="2026-11-26T10:00:00+08:00")
    assert bot.send() == {}
    bot.at(dt.datetime(2026, 11, 26, 10, 29))
    assert bot.send() == {}
    bot.at(dt.datetime(2026, 11, 26, 10, 30))
    assert bot.send() == {"sent": 1}


@pytest.mark.settings({"sms": {"daily_cap_per_phone": 2}})
def test_daily_cap_per_phone_holds_the_rest_until_tomorrow(app, bot, fake):
    for n in range(3):
        bot.complete(f"GA-2026-000{n}")
    bot.complete("GA-2026-0100", phone="13900139000")
    assert bot.send() == {"sent": 3, "held": 1}
    assert [r["phone"] for r in fake.sent].count(PHONE) == 2
    held = [r for r in _listing(app) if r["state"] == "scheduled"]
    assert len(held) == 1 and "今日短信已达上限" in held[0]["waiting_reason"]
    # Replies are no marketing: the thank-you still leaves today.
    assert bot.up("看不懂") == {"clarified": 1}
    assert bot.send() == {"sent": 1}
    bot.at(dt.datetime(2026, 11, 27, 8, 0))
    assert bot.send() == {"sent": 1}
    assert [r["phone"] for r in fake.sent].count(PHONE) == 4


def test_opt_out_cancels_what_is_waiting_and_stops_new_invitations(app, bot, fake):
    bot.complete("GA-2026-0001")
    bot.send()
    bot.at(dt.datetime(2026, 11, 26, 22, 0))
    bot.complete("GA-2026-0002", completed_at="2026-11-26T21:50:00+08:00")
    assert bot.up("退订") == {"opted_out": 1}
    assert bot.invitation("GA-2026-0002").state == "cancelled"
    assert bot.invitation("GA-2026-0002").error_code == "opted_out"
    bot.at(dt.datetime(2026, 11, 27, 9, 0))
    assert bot.send() == {"skipped": 1}
    assert bot.complete("GA-2026-0003")["invitation"] == "opted_out"
    # No reminder either.
    bot.at(dt.datetime(2026, 11, 30, 9, 0))
    bot.sweep()
    bot.send()
    assert len(fake.sent) == 1
    # Opting out of invitations is no refusal to rate: an answer still counts.
    bot.at(dt.datetime(2026, 11, 30, 9, 5))
    assert bot.up("5") == {"rated": 1}


def test_one_reminder_after_three_days(app, bot, fake):
    bot.complete()
    bot.send()
    bot.at(dt.datetime(2026, 11, 29, 9, 59))
    assert bot.sweep() == {"expired": 0, "reminders": 0}
    bot.at(dt.datetime(2026, 11, 29, 10, 0))
    assert bot.sweep() == {"expired": 0, "reminders": 1}
    assert bot.sweep() == {"expired": 0, "reminders": 0}
    assert bot.send() == {"sent": 1}
    reminder = fake.sent[-1]
    assert reminder["template_code"] == "SMS_000000002" and reminder["out_id"] == str(bot.invitation().id)
    assert set(reminder["params"]) == {"item", "code"}
    bot.at(dt.datetime(2026, 12, 5, 10, 0))
    bot.sweep()
    assert bot.send() == {}
    # The reminder is a prompt too: the answer rates.
    assert bot.up("4") == {"rated": 1}


@pytest.mark.settings({"sms": {"reminder_after_days": 1}})
def test_no_reminder_for_a_rated_case_and_expiry(app, bot, fake):
    bot.complete("GA-2026-0001")
    bot.complete("GA-2026-0002", phone="13900139000")
    bot.send()
    bot.up("5")
    bot.at(dt.datetime(2026, 11, 27, 10, 0))
    assert bot.sweep()["reminders"] == 1  # only the unrated one
    bot.at(dt.datetime(2026, 12, 27, 10, 0))
    assert bot.sweep()["expired"] == 1
    assert bot.invitation("GA-2026-0002").state == "expired"


def test_rate_limit_is_retried_with_backoff(app, bot, fake):
    fake.fail_next("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
    bot.complete()
    assert bot.send() == {"retry": 1}
    invitation = bot.invitation()
    assert invitation.state == "scheduled" and invitation.error_code == "isv.BUSINESS_LIMIT_CONTROL"
    row = outbox(app)
    assert row.available_at == dt.datetime(2026, 11, 26, 10, 1) and row.attempts == 1
    bot.at(dt.datetime(2026, 11, 26, 10, 1))
    assert bot.send() == {"sent": 1}
    invitation = bot.invitation()
    assert invitation.state == "sent" and invitation.error_code is None and invitation.attempts == 2


def test_daily_flow_control_waits_for_tomorrow(app, bot, fake):
    fake.fail_next("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10")
    bot.complete()
    assert bot.send() == {"retry": 1}
    assert outbox(app).available_at == dt.datetime(2026, 11, 27, 8, 0)


def test_gateway_throttling_as_http_error_is_retried(app, bot, fake):
    fake.fail_next("Throttling.User", "Request was denied due to user flow control.", status=400)
    bot.complete()
    assert bot.send() == {"retry": 1}
    assert bot.invitation().state == "scheduled"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
        ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
        ("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量"),
        ("isv.PARAM_NOT_SUPPORT_URL", "不支持url为变量"),
    ],
)
def test_permanent_errors_fail_the_invitation_with_the_provider_message(app, bot, fake, code, message):
    fake.fail_next(code, message)
    bot.complete()
    assert bot.send() == {"failed": 1}
    invitation = bot.invitation()
    assert (invitation.state, invitation.error_code, invitation.error_message) == ("failed", code, message)
    assert outbox(app).state == "failed"
    assert bot.send() == {}
    assert _counts(app) == {"failed": 1}
    [listed] = _listing(app, state="failed")
    assert listed["error_message"] == message


@pytest.mark.settings({"sms": {"aliyun": {"invite_template": "SMS_999999999"}}})
def test_an_unapproved_template_is_refused_by_the_fake(app, bot, fake):
    bot.complete()
    assert bot.send() == {"failed": 1}
    assert bot.invitation().error_code == "isv.SMS_TEMPLATE_ILLEGAL"


@pytest.mark.settings({"sms": {"aliyun": {"access_key_secret": "not-the-secret"}}})
def test_the_fake_checks_the_signature(app, bot, fake):
    bot.complete()
    assert bot.send() == {"retry": 1}
    assert fake.sent == []
    assert bot.invitation().error_code == "SignatureDoesNotMatch"
    assert outbox(app).available_at == dt.datetime(2026, 11, 26, 10, 30)


def test_a_lost_answer_never_sends_a_second_sms(app, bot, fake):
    fake.slow_next(1.3)  # accepted, answered after the 1 s read timeout
    bot.complete()
    assert bot.send() == {"unknown": 1}
    assert len(fake.sent) == 1 and bot.invitation().state == "scheduled"
    bot.at(dt.datetime(2026, 11, 26, 10, 2))
    assert bot.send() == {"sent": 1}  # found by QuerySendDetails, not sent again
    assert len(fake.sent) == 1
    assert bot.invitation().state == "sent"
    actions = [r.get("Action") for r in fake.requests]
    assert actions == ["SendSms", "QuerySendDetails"]


def test_a_receipt_settles_a_lost_answer(app, bot, fake, client):
    fake.slow_next(1.3)
    bot.complete()
    bot.send()
    [sms] = fake.sent
    client.post("/sms/aliyun/cb-token-0123456789abcdef/report", json=[fake.report_item(sms)])
    assert bot.process() == {"delivered": 1}
    assert bot.invitation().state == "delivered"
    bot.at(dt.datetime(2026, 11, 26, 10, 2))
    assert bot.send() == {}
    assert len(fake.sent) == 1


def test_nothing_is_lost_when_the_provider_is_down_for_an_hour(app, bot, fake):
    port = fake.server.server_address[1]
    fake.stop()
    for n in range(5):
        bot.complete(f"GA-2026-000{n}", phone=f"1390013900{n}")
    now = dt.datetime(2026, 11, 26, 10, 0)
    while now < dt.datetime(2026, 11, 26, 11, 0):
        bot.at(now)
        result = bot.send()
        assert set(result) <= {"retry"}
        now += dt.timedelta(minutes=5)
    assert _counts(app) == {"scheduled": 5}
    [listed, *_] = _listing(app)
    assert "无法连接短信服务商" in listed["waiting_reason"]
    back = FakeAliyun("test-ak", "test-secret").serve(port)
    try:
        bot.at(dt.datetime(2026, 11, 26, 11, 15))
        assert bot.send() == {"sent": 5}
        assert len(back.sent) == 5
        assert _counts(app) == {"sent": 5}
    finally:
        back.stop()


def test_two_senders_at_once_send_once(app, bot, fake):
    bot.complete()
    with app.app_context(), db.connection_context():
        row = Outbox.get(Outbox.kind == "sms.invite")
    from sms.sender import _claim_due

    with app.app_context(), db.connection_context():
        assert [claimed.id for claimed in _claim_due("sms.invite", 10)] == [row.id]
        assert _claim_due("sms.invite", 10) == []  # the second sender finds it leased and leaves it
    bot.at(dt.datetime(2026, 11, 26, 10, 2))
    assert bot.send() == {"sent": 1}
    assert bot.send() == {}
    assert len(fake.sent) == 1


def test_sms_message_rows_from_other_areas_are_sent(app, bot, fake):
    with app.app_context(), db.connection_context():
        Outbox.put(
            "sms.message",
            "ticket.reply:7",
            {"phone": "+86 139 0013 9000", "text": "您反映的问题已整改。", "purpose": "followup", "ref": "ticket:7"},
        )
        Outbox.put("sms.message", "bad:1", {"phone": "12345", "text": "x", "purpose": "reply", "ref": None})
    assert bot.send() == {"sent": 1, "failed": 1}
    assert fake.sent[0]["phone"] == "13900139000"
    assert fake.sent[0]["params"] == {"content": "您反映的问题已整改。"}
    with app.app_context(), db.connection_context():
        message = SmsMessage.get(SmsMessage.purpose == "followup")
    assert message.ref == "ticket:7" and message.expects_reply_until is not None


def _listing(app, **kw):
    with app.app_context(), db.connection_context():
        return queries.listing(**kw)


def _counts(app):
    with app.app_context(), db.connection_context():
        return queries.state_counts()


def test_lost_receipts_are_looked_up(app, bot, fake):
    from sms.jobs import reconcile_receipts

    bot.complete("GA-2026-0001")
    bot.complete("GA-2026-0002", phone="13900139000")
    bot.send()
    # The two leave in parallel (sms/throttle.py): the second case's SMS by its phone.
    next(r for r in fake.sent if r["phone"] == "13900139000").update(status=2, err_code="MK:0005")

    def reconcile():
        with app.app_context():
            return reconcile_receipts()

    assert reconcile() == {}  # too early: the push may still come
    bot.at(dt.datetime(2026, 11, 26, 11, 0))
    assert reconcile() == {"delivered": 1, "undelivered": 1}
    assert bot.invitation("GA-2026-0001").state == "delivered"
    failed = bot.invitation("GA-2026-0002")
    assert (failed.state, failed.error_code) == ("failed", "MK:0005")
    assert reconcile() == {}
    assert [r.get("Action") for r in fake.requests].count("QuerySendDetails") == 2


@pytest.mark.settings({"sms": {"daily_cap_per_phone": 1}})
def test_a_reminder_counts_against_the_daily_cap_and_respects_quiet_hours(app, bot, fake):
    bot.complete("GA-2026-0001")
    bot.send()
    bot.at(dt.datetime(2026, 11, 29, 22, 0))
    assert bot.sweep()["reminders"] == 1
    assert bot.send() == {"held": 1}  # quiet hours
    bot.at(dt.datetime(2026, 11, 30, 8, 0))
    bot.complete("GA-2026-0002", completed_at="2026-11-30T07:50:00+08:00")
    assert bot.send() == {"sent": 1, "held": 1}  # the invitation first, then the cap
    assert [r["template_code"] for r in fake.sent] == ["SMS_000000001", "SMS_000000001"]
    bot.at(dt.datetime(2026, 12, 1, 8, 0))
    assert bot.send() == {"sent": 1}
    assert fake.sent[-1]["template_code"] == "SMS_000000002"
