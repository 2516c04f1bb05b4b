"""Delivery of `ticket.reply_notice`: subscribe message when the citizen rated
in the mini program and accepted the template, else an SMS outbox row."""

import json

import pytest

from core import clock
from models import Outbox
from models import RaterContact
from models import Rating
from models import Ticket
from models import WxSubscription
from models import db
from wechat.notices import deliver_reply_notices

from .fakes import TEMPLATE
from .fakes import login

REPLY = "经核实，当日窗口人员不足导致等候较长，已增设窗口并对相关人员进行了批评教育，感谢您的监督。"


def create_case(client, make, case_no="GA-2026-0001", **changes):
    res = client.post("/api/v1/cases", json=make.case_payload(case_no, **changes), headers=make.auth(make.police_key))
    return res.get_json()["rating_code"]


def rate_in_mini_program(client, make, subscribe: bool, **case_changes):
    code = create_case(client, make, **case_changes)
    auth = login(client)
    assert client.post("/api/wx/ratings", json={"code": code, "level": 1}, headers=auth).status_code == 201
    if subscribe:
        client.post("/api/wx/subscriptions", json={TEMPLATE: "accept"}, headers=auth)
    return auth


def reply(ticket_filter=None):
    """What the rectification area does when a reply goes out."""
    with db.connection_context(), db.atomic():
        ticket = Ticket.get() if ticket_filter is None else Ticket.get(ticket_filter)
        ticket.state, ticket.reply_text, ticket.replied_at = "replied", REPLY, clock.now()
        ticket.save()
        Outbox.put("ticket.reply_notice", f"ticket.reply_notice:{ticket.id}", {"ticket_id": ticket.id})
        return ticket


def run(app):
    with app.app_context():
        return deliver_reply_notices()


def notice_row():
    with db.connection_context():
        return Outbox.get(Outbox.kind == "ticket.reply_notice")


def sms_rows():
    with db.connection_context():
        return [r.data for r in Outbox.select().where(Outbox.kind == "sms.message")]


def test_a_subscribed_citizen_gets_a_subscribe_message(app, client, make, fake_wx):
    rate_in_mini_program(client, make, subscribe=True)
    fake_wx.grant(fake_wx.openid_for("alice"), TEMPLATE)
    ticket = reply()
    assert run(app) == 1
    assert len(fake_wx.sent) == 1
    message = fake_wx.sent[0]
    assert message["touser"] == fake_wx.openid_for("alice") and message["template_id"] == TEMPLATE
    assert message["page"] == f"pages/mine/index?ticket={ticket.ticket_no}"
    assert message["data"] == {
        "thing1": {"value": "居民身份证换领"},
        "phrase2": {"value": "已反馈"},
        "thing3": {"value": REPLY[:19] + "…"},
        "time4": {"value": "2026-11-26 10:00"},
    }
    assert message["miniprogram_state"] == "formal"
    assert notice_row().state == "sent"
    assert sms_rows() == []
    with db.connection_context():
        assert WxSubscription.get().remaining == 0
    # A second run (or a second scheduler) sends nothing twice.
    assert run(app) == 0 and len(fake_wx.sent) == 1


def test_without_a_subscription_the_reply_goes_by_sms(app, client, make, fake_wx):
    rate_in_mini_program(client, make, subscribe=False)
    ticket = reply()
    run(app)
    assert fake_wx.sent == []
    [sms] = sms_rows()
    assert sms["phone"] == "13800138000" and sms["purpose"] == "reply" and sms["ref"] == f"ticket:{ticket.id}"
    assert ticket.ticket_no in sms["text"] and REPLY in sms["text"] and "区公安分局" in sms["text"]
    assert notice_row().state == "sent"


def test_a_spent_acceptance_43101_falls_back_to_sms(app, client, make, fake_wx):
    # We recorded an acceptance, but WeChat says the user has none left.
    rate_in_mini_program(client, make, subscribe=True)
    reply()
    run(app)
    assert fake_wx.sent == [] and len(sms_rows()) == 1
    with db.connection_context():
        assert WxSubscription.get().remaining == 0


@pytest.mark.parametrize("errcode", [45009, 40003, 47003])
def test_quota_and_refusals_fall_back_to_sms(app, client, make, fake_wx, errcode):
    rate_in_mini_program(client, make, subscribe=True)
    fake_wx.grant(fake_wx.openid_for("alice"), TEMPLATE)
    reply()
    fake_wx.fail_next("subscribe_send", errcode)
    run(app)
    assert len(sms_rows()) == 1 and notice_row().state == "sent"


def test_wechat_down_is_retried_then_falls_back(app, client, make, fake_wx):
    rate_in_mini_program(client, make, subscribe=True)
    fake_wx.grant(fake_wx.openid_for("alice"), TEMPLATE)
    reply()
    fake_wx.fail_next("subscribe_send", -1, times=10)
    run(app)
    row = notice_row()
    assert row.state == "pending" and row.attempts == 1 and row.available_at > clock.now()
    for _ in range(3):
        with db.connection_context():
            Outbox.update(available_at=clock.now()).execute()
        run(app)
    assert notice_row().state == "sent" and len(sms_rows()) == 1


def test_an_expired_token_on_send_is_refreshed(app, client, make, fake_wx):
    rate_in_mini_program(client, make, subscribe=True)
    fake_wx.grant(fake_wx.openid_for("alice"), TEMPLATE)
    reply()
    fake_wx.expire_tokens()
    run(app)
    assert len(fake_wx.sent) == 1 and sms_rows() == []


def test_h5_ratings_get_sms_and_onsite_ratings_use_the_contact_left(app, client, make, fake_wx):
    code = create_case(client, make)
    with app.test_request_context(), db.connection_context():
        from models import Case
        from ratings.core import RatingRequest
        from ratings.core import submit_rating

        submit_rating(RatingRequest(level=2, channel="h5", case=Case.get(), rater_ref="browser:x"))
        onsite = submit_rating(RatingRequest(level=1, channel="qr", window=make.social_window, rater_ref="browser:y"))
        RaterContact.create(rating=onsite.rating, phone="13900139000")
        silent = submit_rating(RatingRequest(level=1, channel="qr", window=make.social_window, rater_ref="browser:z"))
        tickets = {t.rating_id: t.id for t in Ticket.select()}
    assert code
    for ticket_id in tickets.values():
        reply(Ticket.id == ticket_id)
    run(app)
    assert sorted(sms["phone"] for sms in sms_rows()) == ["13800138000", "13900139000"]
    with db.connection_context():
        failed = Outbox.get((Outbox.kind == "ticket.reply_notice") & (Outbox.state == "failed"))
        assert json.loads(failed.payload)["ticket_id"] == tickets[silent.rating.id]
        assert "cannot be reached" in failed.last_error
        assert Rating.select().count() == 3


def test_unknown_or_unreplied_tickets_fail_visibly(app, client, make):
    with db.connection_context():
        Outbox.put("ticket.reply_notice", "n:1", {"ticket_id": 999})
        Outbox.put("ticket.reply_notice", "n:2", {"ticket_id": "x"})
    run(app)
    with db.connection_context():
        assert {r.state for r in Outbox.select()} == {"failed"}
