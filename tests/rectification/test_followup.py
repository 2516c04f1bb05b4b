"""The reply to the citizen and the 回访: SMS answers, phone callbacks,
reopening after 不满意, and case-less ratings without a phone."""

import datetime as dt

import pytest

from core import clock
from core.levels import LEVEL_MENU
from models import Notification
from models import Outbox
from models import Rating
from models import Ticket
from models import TicketEvent
from ratings.core import RatingRequest
from ratings.core import submit_rating
from rectification import followup
from rectification import tickets
from sms import texts
from sms.parser import parse_reply


@pytest.fixture
def replied(bad_ticket, staff):
    """A function: a ticket rectified on the spot and answered, its 回访 question now due."""

    def create(**kwargs):
        ticket = tickets.resolve_on_the_spot(bad_ticket(**kwargs), staff.police_staff, "已当场解决")
        ticket = followup.send_reply(ticket, "您的问题已解决。", staff.police_staff)
        clock.freeze(ticket.followup_asked_at + dt.timedelta(hours=1))
        return ticket

    return create


@pytest.mark.parametrize(
    ("text", "choice"),
    # The rating SMS's scale, numbers and words alike: 5 is the best.
    [("5", "satisfied"), ("4", "satisfied"), ("3", "basically_satisfied"), ("2", "unsatisfied"), ("1", "unsatisfied")]
    + [("５分", "satisfied"), ("五", "satisfied"), ("一", "unsatisfied"), ("满意", "satisfied")]
    + [("非常满意", "satisfied")]
    + [(" 不满意。", "unsatisfied"), ("非常不满意", "unsatisfied"), ("基本满意", "basically_satisfied")]
    + [("还行吧", "basically_satisfied"), ("好", "satisfied"), ("差评", "unsatisfied"), ("1 还是没解决", "unsatisfied")]
    # no answer, or two candidate levels: asked back, never recorded
    + [("6", None), ("0", None), ("4或5", None), ("4 5", None), ("满意或不满意", None), ("1 非常满意", None)]
    + [("嗯", None), ("", None)],
)
def test_followup_choice(app, text, choice):
    assert followup.followup_choice(text, app.config["SETTINGS"].rectification) == choice


@pytest.mark.parametrize(
    ("text", "choice"),
    [("1", "satisfied"), ("2", "basically_satisfied"), ("3", "unsatisfied"), ("满意", "satisfied")]
    + [(" 不满意。", "unsatisfied"), ("基本满意", "basically_satisfied"), ("4", None), ("5", None), ("", None)],
)
def test_a_question_sent_before_the_change_keeps_its_meaning(app, text, choice):
    rect = app.config["SETTINGS"].rectification
    assert followup.followup_choice(text, rect, followup.LEGACY_SCALE) == choice


def test_the_question_asks_like_the_rating_sms(app):
    rect = app.config["SETTINGS"].rectification
    question = followup.followup_question(rect)
    assert question.endswith("请回复数字评价整改结果：5非常满意 4满意 3基本满意 2不满意 1非常不满意。")
    assert texts.INVITE.count(LEVEL_MENU) == 1 and LEVEL_MENU in question
    assert followup.followup_question(rect, followup.LEGACY_SCALE).endswith("1满意 2基本满意 3不满意。")


def test_one_table_of_level_words_for_both_parsers(app):
    """Every level word means the same level to the rating SMS parser and the 回访 parser."""
    from core.levels import LEVEL_WORDS

    rect = app.config["SETTINGS"].rectification
    for phrase, level in LEVEL_WORDS:
        reply = parse_reply(phrase)
        assert (reply.kind, reply.level) == ("rating", level), phrase
        assert followup.answer_level(phrase) == level, phrase
        assert followup.followup_choice(phrase, rect) == followup.RESULT_BY_LEVEL[level], phrase
    for digit in "12345":
        assert parse_reply(digit).level == followup.answer_level(digit) == int(digit)


@pytest.mark.settings({"rectification": {"followup_scale": ["satisfied", "unsatisfied"]}})
def test_followup_scale_is_configuration(app, replied, refused):
    rect = app.config["SETTINGS"].rectification
    assert followup.followup_choice("2", rect) == "unsatisfied"
    assert followup.followup_choice("3", rect) is None  # 基本满意 is not offered: asked back
    assert followup.followup_question(rect).endswith("5非常满意 4满意 2不满意 1非常不满意。")
    with refused("invalid_satisfaction", 422):
        followup.record_followup(replied(), "basically_satisfied", channel="sms")


def test_sms_answer_finds_the_ticket_and_records_it(replied):
    ticket = replied()
    assert Ticket.awaiting_followup("13800138000", clock.now() - dt.timedelta(days=3)).id == ticket.id
    answered = followup.answer_by_sms("+86 138-0013-8000", "5")
    assert answered.id == ticket.id and answered.state == "followed_up"
    assert answered.followup_result == "satisfied" and answered.followup_channel == "sms"
    assert TicketEvent.history(ticket)[-1].actor_ref == "sms"
    assert "群众回复“5非常满意”" in TicketEvent.history(ticket)[-1].note
    # A duplicated or late second answer changes nothing.
    assert followup.answer_by_sms("13800138000", "1") is None
    assert Ticket.get_by_id(ticket.id).state == "followed_up"


def test_sms_answer_before_the_question_or_after_the_window_is_not_matched(replied, bad_ticket, staff):
    ticket = replied()
    clock.freeze(ticket.followup_asked_at - dt.timedelta(minutes=1))
    assert followup.answer_by_sms("13800138000", "5") is None  # not asked yet
    clock.freeze(ticket.followup_asked_at + dt.timedelta(days=4))
    assert followup.answer_by_sms("13800138000", "5") is None  # answer window (3 days) over
    assert followup.answer_by_sms("13900000000", "5") is None  # another phone
    assert Ticket.get_by_id(ticket.id).state == "replied"


def test_unsatisfied_reopens_with_a_new_deadline_and_escalates(replied, staff, make):
    ticket = replied()
    reopened = followup.answer_by_sms("13800138000", "不满意")
    assert reopened.state == "verifying" and reopened.reopen_count == 1
    assert reopened.followup_result == "unsatisfied" and reopened.resolved_at is None
    assert reopened.due_from == clock.now() and reopened.due_at > ticket.due_at
    assert reopened.escalated_at == clock.now()
    escalations = Notification.select().where(Notification.kind == "ticket.escalated")
    assert {n.department_id for n in escalations} == {None, make.police.id}
    assert TicketEvent.history(ticket)[-1].to_state == "verifying"
    # The reopened ticket runs the loop again: a second reply gets its own outbox rows.
    reopened = tickets.start_rectification(reopened, staff.police_staff, "再次核实属实")
    reopened = tickets.complete_rectification(reopened, staff.police_staff, "约谈窗口人员")
    reopened = followup.send_reply(reopened, "已进一步整改。", staff.police_staff)
    assert reopened.reply_count == 2
    keys = {row.dedupe_key for row in Outbox.select().where(Outbox.kind.in_(("ticket.reply_notice", "sms.message")))}
    assert keys == {
        f"reply:{ticket.id}:1",
        f"reply:{ticket.id}:2",
        f"followup:{ticket.id}:1",
        f"followup:{ticket.id}:2",
    }


def test_phone_followup_recorded_by_staff(replied, staff, refused):
    ticket = replied()
    with refused("forbidden", 403):
        followup.record_followup(ticket, "satisfied", channel="phone", actor=None)
    with refused("forbidden", 403):
        followup.record_followup(ticket, "satisfied", channel="phone", actor=staff.social_staff)
    with refused("invalid_channel", 422):
        followup.record_followup(ticket, "satisfied", channel="email", actor=staff.bureau)
    done = followup.record_followup(ticket, "basically_satisfied", "phone", staff.bureau, note="电话回访")
    assert done.state == "followed_up" and done.followup_channel == "phone"
    assert "电话回访：基本满意" in TicketEvent.history(ticket)[-1].note


def test_caseless_rating_without_phone(make, staff, refused):
    result = submit_rating(RatingRequest(level=2, channel="pad", window=make.police_window, rater_ref="device:pad1"))
    ticket = Ticket.get_by_id(result.ticket.id)
    assert ticket.case_id is None and ticket.department_id == make.police.id
    ticket = tickets.resolve_on_the_spot(ticket, staff.police_staff, "调整窗口服务流程")
    ticket = followup.send_reply(ticket, "已整改。", staff.police_staff)
    # No way to reach the citizen: nothing is queued, staff are asked to record the 回访.
    assert Outbox.select().where(Outbox.kind.in_(("ticket.reply_notice", "sms.message"))).count() == 0
    assert ticket.followup_asked_at is None
    # … the bureau, whose 回访 queue it joins.
    assert Notification.get(Notification.kind == "ticket.followup_call").department_id is None
    assert [e.action for e in TicketEvent.history(ticket)][-1] == "reply_undeliverable"
    with refused("no_phone", 422):
        followup.record_followup(ticket, "satisfied", channel="sms")
    with refused("invalid_satisfaction", 422):
        followup.record_followup(ticket, "satisfied", channel="none", actor=staff.bureau)
    done = followup.record_followup(ticket, "unreachable", channel="none", actor=staff.bureau)
    assert done.state == "followed_up" and done.followup_result == "unreachable"


def test_mini_program_rater_gets_the_reply_notice(make, staff):
    rating = submit_rating(
        RatingRequest(level=1, channel="qr", window=make.police_window, rater_ref="wx:openid-1")
    ).rating
    ticket = tickets.resolve_on_the_spot(Ticket.for_rating(rating), staff.police_staff, "已解决")
    followup.send_reply(ticket, "已整改。", staff.police_staff)
    assert Outbox.get(Outbox.kind == "ticket.reply_notice").data == {"ticket_id": ticket.id}
    assert not Outbox.select().where(Outbox.kind == "sms.message").exists()
    assert Rating.get_by_id(rating.id).is_bad


def test_reply_text_is_required_for_a_rectification(bad_ticket, staff, refused):
    ticket = tickets.resolve_on_the_spot(bad_ticket(), staff.police_staff, "已解决")
    with refused("note_required", 422):
        followup.send_reply(ticket, "  ", staff.police_staff)
    with refused("note_too_long", 422):
        followup.send_reply(ticket, "字" * 1001, staff.police_staff)
    assert Ticket.get_by_id(ticket.id).state == "rectified"
    assert not Outbox.select().where(Outbox.kind == "ticket.reply_notice").exists()


def test_phone_followup_before_the_sms_question_cancels_it(bad_ticket, staff):
    ticket = tickets.resolve_on_the_spot(bad_ticket(), staff.police_staff, "已解决")
    ticket = followup.send_reply(ticket, "已解决。", staff.police_staff)
    assert Outbox.get(Outbox.kind == "sms.message").state == "pending"
    followup.record_followup(ticket, "satisfied", channel="phone", actor=staff.bureau)
    question = Outbox.get(Outbox.kind == "sms.message")
    assert question.state == "failed" and question.last_error.startswith("cancelled")
    clock.freeze(ticket.followup_asked_at + dt.timedelta(hours=1))
    assert not list(Outbox.due("sms.message"))
    assert followup.answer_by_sms("13800138000", "3") is None


def test_garbage_sms_is_not_an_answer(replied):
    ticket = replied()
    assert followup.answer_by_sms("13800138000", "TD") is None
    assert followup.answer_by_sms("not a phone", "1") is None
    assert Ticket.get_by_id(ticket.id).state == "replied"
