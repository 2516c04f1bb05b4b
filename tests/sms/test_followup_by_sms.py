"""The whole loop by SMS: a 差评 reply → ticket → answer to the citizen →
回访 question → the citizen's SMS answer recorded on the ticket."""

import datetime as dt
import json

import pytest

from core import clock
from models import Case
from models import Outbox
from models import Rating
from models import Ticket
from models import User
from models import db
from models.outbox import seal
from models.sms import SmsMessage
from rectification import followup
from rectification import tickets
from wechat.notices import deliver_reply_notices

from .conftest import PHONE


@pytest.fixture
def answered(app, bot, fake, make):
    """A 差评 given by SMS, rectified on the spot and answered; the 回访 question is due."""
    bot.complete()
    bot.send()
    assert bot.up("1 窗口态度很差") == {"rated": 1}
    bot.send()  # the 差评 acknowledgement
    with app.app_context(), db.connection_context():
        officer = User.create(username="police1", password_hash="x", role="dept_staff", department=make.police)
        rating = Rating.get(Rating.case == Case.by_case_no("GA-2026-0001"))
        ticket = tickets.resolve_on_the_spot(Ticket.for_rating(rating), officer, "已当场向群众致歉并说明")
        ticket = followup.send_reply(ticket, "已对窗口人员批评教育，感谢您的监督。", officer)
        deliver_reply_notices()  # rated by SMS: the reply goes out as an SMS
    bot.send()
    assert "已对窗口人员批评教育" in fake.sent[-1]["params"]["content"]
    bot.at(ticket.followup_asked_at + dt.timedelta(minutes=5))
    bot.send()
    assert "请回复数字评价整改结果" in fake.sent[-1]["params"]["content"]
    return ticket


def ticket_now(app, ticket):
    with app.app_context(), db.connection_context():
        return Ticket.get_by_id(ticket.id)


def test_the_question_asks_with_the_rating_sms_numbers(app, bot, fake, answered):
    question = fake.sent[-1]["params"]["content"]
    assert question.endswith("请回复数字评价整改结果：5非常满意 4满意 3基本满意 2不满意 1非常不满意。")
    with app.app_context(), db.connection_context():
        prompt = SmsMessage.get(SmsMessage.purpose == "followup")
    assert prompt.data == {"scale": "levels"}


def test_a_citizen_who_rated_1_and_answers_1_is_not_recorded_satisfied(app, bot, fake, answered):
    # The bug this scale fixes: 1 meant 满意 on the old 回访 question.
    assert bot.up("1") == {"followup_unsatisfied": 1}
    assert ticket_now(app, answered).followup_result == "unsatisfied"


def test_satisfied_answer_is_recorded_and_thanked(app, bot, fake, answered):
    assert bot.up("5") == {"followup": 1}
    ticket = ticket_now(app, answered)
    assert (ticket.state, ticket.followup_result, ticket.followup_channel) == ("followed_up", "satisfied", "sms")
    bot.send()
    assert fake.sent[-1]["phone"] == PHONE
    assert fake.sent[-1]["params"]["content"] == "感谢您对整改结果的评价。"
    # A second answer is no 回访 any more, and changes nothing.
    bot.up("1")
    assert ticket_now(app, answered).followup_result == "satisfied"


@pytest.mark.parametrize("answer, result", [("²", "unsatisfied"), ("３", "basically_satisfied"), ("⑤。", "satisfied")])
def test_an_answer_in_other_digits_is_read_as_the_rating_parser_reads_it(app, bot, fake, answered, answer, result):
    # Superscript, full-width and circled digits on the rating SMS's scale (5 best): NFKC, as the rating
    # parser reads them;
    # such an answer once raised in the 回访 parser and the citizen's answer was lost.
    assert bot.up(answer) == {"followup" if result != "unsatisfied" else "followup_unsatisfied": 1}
    assert ticket_now(app, answered).followup_result == result


def test_unsatisfied_answer_reopens_the_ticket(app, bot, fake, answered):
    assert bot.up("不满意") == {"followup_unsatisfied": 1}
    ticket = ticket_now(app, answered)
    assert ticket.state == "verifying" and ticket.followup_result == "unsatisfied"
    bot.send()
    assert "重新督办" in fake.sent[-1]["params"]["content"]


def test_unclear_answer_is_asked_back_once(app, bot, fake, answered):
    assert bot.up("4或5") == {"unclear": 1}
    assert bot.up("嗯") == {"unclear": 1}
    bot.send()
    clarifications = [s for s in fake.sent if s["params"].get("content", "").startswith("抱歉，未能识别")]
    assert len(clarifications) == 1 and clarifications[0]["params"]["content"].endswith("1非常不满意。")
    assert bot.up("还行吧") == {"followup": 1}
    assert ticket_now(app, answered).followup_result == "basically_satisfied"


def test_a_question_sent_before_the_change_keeps_its_meaning(app, bot, fake, make):
    """A 回访 question queued (or sent) before the scale ran 5-best carries no scale:
    its "1" still means 满意, as it said when it was sent."""
    bot.complete()
    bot.send()
    bot.up("2")
    with app.app_context(), db.connection_context():
        officer = User.create(username="police3", password_hash="x", role="dept_staff", department=make.police)
        ticket = tickets.resolve_on_the_spot(Ticket.get(), officer, "当场解决")
        ticket = followup.send_reply(ticket, "已解决", officer)
        # As the old code queued it: the old numbering in the text, no scale in the payload.
        row = Outbox.get(Outbox.dedupe_key == f"followup:{ticket.id}:1")
        data = row.data
        data.pop("context")
        data["text"] = followup.followup_question(app.config["SETTINGS"].rectification, followup.LEGACY_SCALE)
        Outbox.update(payload=json.dumps(seal(data), ensure_ascii=False)).where(Outbox.id == row.id).execute()
    bot.at(ticket.followup_asked_at + dt.timedelta(minutes=5))
    bot.send()
    # Sent in parallel with the 差评's acknowledgement: found by its words, not its place.
    assert any(m["params"].get("content", "").endswith("1满意 2基本满意 3不满意。") for m in fake.sent)
    with app.app_context(), db.connection_context():
        assert SmsMessage.get(SmsMessage.purpose == "followup").context is None
    assert bot.up("1") == {"followup": 1}
    assert ticket_now(app, ticket).followup_result == "satisfied"


def test_the_followup_question_respects_quiet_hours(app, bot, fake, make):
    bot.complete()
    bot.send()
    bot.up("2")
    with app.app_context(), db.connection_context():
        officer = User.create(username="police2", password_hash="x", role="dept_staff", department=make.police)
        ticket = Ticket.get()
        ticket = tickets.resolve_on_the_spot(ticket, officer, "当场解决")
        clock.freeze(dt.datetime(2026, 11, 26, 22, 0))  # the question falls due at 22:00 tomorrow
        ticket = followup.send_reply(ticket, "已解决", officer)
    bot.at(ticket.followup_asked_at + dt.timedelta(minutes=1))
    sent_before = len(fake.sent)
    bot.send()
    assert not any("整改结果" in s["params"].get("content", "") for s in fake.sent[sent_before:])
    bot.at(dt.datetime(2026, 11, 28, 8, 1))
    bot.send()
    assert any("整改结果" in s["params"].get("content", "") for s in fake.sent[sent_before:])
