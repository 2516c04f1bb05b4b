"""End to end: completion → SendSms at the fake → SmsUp reply → rating."""

import datetime as dt
import json

import pytest

from models import Case
from models import Outbox
from models import Rating
from models import Ticket
from models import db
from models.sms import SmsInbox
from models.sms import SmsMessage
from sms import queries

from .conftest import PHONE


def rating_of(app, case_no="GA-2026-0001"):
    with app.app_context(), db.connection_context():
        return Rating.get_or_none(Rating.case == Case.by_case_no(case_no))


def test_completion_reply_rating_over_http(app, bot, fake, live):
    answer = bot.complete()
    assert answer["invitation"] == "scheduled"
    assert bot.send() == {"sent": 1}

    [sms] = fake.sent
    invitation = bot.invitation()
    assert sms["phone"] == PHONE and sms["out_id"] == str(invitation.id)
    assert sms["template_code"] == "SMS_000000001" and sms["sign_name"] == "鄠邑政务服务"
    assert sms["params"] == {"dept": "区公安分局", "item": "居民身份证换领", "code": answer["rating_code"]}
    assert invitation.state == "sent" and invitation.provider_id == sms["biz_id"]

    # The fake posts the receipt and the reply exactly as Aliyun does.
    assert fake.post_report(live + "/report", sms) == (200, {"code": 0, "msg": "接收成功"})
    assert fake.post_up(live + "/up", PHONE, "５分") == (200, {"code": 0, "msg": "接收成功"})
    assert bot.process() == {"delivered": 1, "rated": 1}
    assert bot.invitation().state == "rated"

    rating = rating_of(app)
    assert (rating.level, rating.channel, rating.rater_ref) == (5, "sms", f"sms:{invitation.id}")
    bot.send()
    assert fake.sent[-1]["params"]["content"].startswith("感谢您的评价（非常满意）")


def test_bad_review_ticket_confirmation_and_reason(app, bot, fake):
    bot.complete()
    bot.send()
    assert bot.up("2 排队两小时") == {"rated": 1}
    rating = rating_of(app)
    assert (rating.level, rating.comment, rating.is_bad) == (2, "排队两小时", True)
    with app.app_context(), db.connection_context():
        ticket = Ticket.for_rating(rating)
    assert ticket is not None

    bot.send()
    ack = fake.sent[-1]["params"]["content"]
    due = ticket.due_at
    assert "区公安分局" in ack and f"{due.year}年{due.month}月{due.day}日" in ack and "不满意" in ack

    assert bot.up("窗口只开了一个，工作人员还在玩手机") == {"reason": 1}
    assert rating_of(app).comment == "排队两小时\n补充：窗口只开了一个，工作人员还在玩手机"
    bot.send()
    assert "已记录并转交区公安分局" in fake.sent[-1]["params"]["content"]
    # The conversation is over: a further message is no second reason.
    assert bot.up("还有别的问题") == {"already_rated": 1}
    assert rating_of(app).comment.count("补充") == 1


def test_reason_becomes_the_comment_when_there_was_none(app, bot, fake):
    bot.complete()
    bot.send()
    assert bot.up("差评") == {"rated": 1}
    assert rating_of(app).level == 1 and rating_of(app).comment is None
    bot.send()
    assert bot.up("材料说了三遍都不一样") == {"reason": 1}
    assert rating_of(app).comment == "材料说了三遍都不一样"


def test_unclear_reply_gets_one_clarification_never_a_loop(app, bot, fake):
    bot.complete()
    bot.send()
    assert bot.up("这是什么短信？") == {"clarified": 1}
    bot.send()
    assert fake.sent[-1]["params"]["content"].startswith("抱歉，未能识别您的回复")
    sent = len(fake.sent)
    assert bot.up("你们是谁") == {"unclear": 1}
    bot.send()
    assert len(fake.sent) == sent
    assert rating_of(app) is None
    with app.app_context(), db.connection_context():
        [listed] = queries.replies_needing_attention()
    assert (listed["phone"], listed["content"], listed["outcome"]) == ("138****8000", "你们是谁", "unclear")


@pytest.mark.parametrize("text", ["4或5", "3到4分", "满意或非常满意", "评分：4或5"])
def test_two_candidate_levels_are_asked_back_never_rated(app, bot, fake, text):
    bot.complete()
    bot.send()
    assert bot.up(text) == {"clarified": 1}
    assert rating_of(app) is None
    bot.send()
    question = fake.sent[-1]["params"]["content"]
    assert question.startswith("您的回复中有两个评价等级") and "请只回复一个数字" in question
    assert bot.up("5") == {"rated": 1}
    assert rating_of(app).level == 5


def test_clarification_then_an_answer_rates(app, bot, fake):
    bot.complete()
    bot.send()
    assert bot.up("好的") == {"clarified": 1}
    bot.send()
    assert bot.up("4") == {"rated": 1}
    assert rating_of(app).level == 4


def test_two_open_invitations_ask_which_case(app, bot, fake, make):
    bot.complete("GA-2026-0001")
    bot.complete("GA-2026-0002", item_code="610118-GAJ-001", completed_at="2026-11-25T15:00:00+08:00")
    assert bot.send() == {"sent": 2}
    assert bot.up("5") == {"clarified": 1}
    bot.send()
    question = fake.sent[-1]["params"]["content"]
    assert "“5分”是评价哪一件" in question and "A " in question and "B " in question
    with app.app_context(), db.connection_context():
        prompt = SmsMessage.select().where(SmsMessage.purpose == "clarify").get()
        choices = prompt.data["choices"]
    assert bot.up("B") == {"rated": 1}
    rated = "GA-2026-0001" if rating_of(app, "GA-2026-0001") else "GA-2026-0002"
    assert bot.invitation(rated).id == choices["B"]
    assert rating_of(app, rated).level == 5
    # One case is left open: a plain answer now belongs to it.
    other = "GA-2026-0002" if rated == "GA-2026-0001" else "GA-2026-0001"
    assert bot.up("3") == {"rated": 1}
    assert rating_of(app, other).level == 3


def test_a_choice_letter_with_a_level(app, bot, fake):
    bot.complete("GA-2026-0001")
    bot.complete("GA-2026-0002")
    bot.send()
    assert bot.up("看不懂") == {"clarified": 1}
    bot.send()
    assert "请回复字母加评分" in fake.sent[-1]["params"]["content"]
    assert bot.up("A2 态度差") == {"rated": 1}
    ratings = [rating_of(app, no) for no in ("GA-2026-0001", "GA-2026-0002")]
    [rating] = [r for r in ratings if r is not None]
    assert (rating.level, rating.comment) == (2, "态度差")


def test_reply_after_expiry_and_for_rated_case_is_answered_politely(app, bot, fake):
    bot.complete()
    bot.send()
    bot.at(dt.datetime(2026, 12, 27, 10, 0))  # 31 days later: past rating_window_days
    assert bot.up("5") == {"expired": 1}
    bot.send()
    assert "评价期限已过" in fake.sent[-1]["params"]["content"]
    assert rating_of(app) is None
    # Only once: no conversation without end.
    assert bot.up("5") == {"expired": 1}
    count = len(fake.sent)
    bot.send()
    assert len(fake.sent) == count


def test_reply_for_a_case_rated_on_the_web_page(app, bot, fake, make):
    bot.complete()
    bot.send()
    from ratings.core import RatingRequest
    from ratings.core import submit_rating

    with app.app_context(), db.connection_context():
        submit_rating(RatingRequest(level=4, channel="h5", case=Case.by_case_no("GA-2026-0001"), rater_ref="browser:x"))
    assert bot.up("1") == {"already_rated": 1}
    bot.send()
    assert fake.sent[-1]["params"]["content"] == "该办件已经评价过了，感谢您的参与。"
    assert rating_of(app).level == 4


def test_repeated_callbacks_change_nothing(app, bot, fake, client):
    bot.complete()
    bot.send()
    [sms] = fake.sent
    reply = fake.up_item(PHONE, "5", sequence_id="778899")
    report = fake.report_item(sms)
    for _ in range(3):
        assert client.post("/sms/aliyun/cb-token-0123456789abcdef/up", json=[reply]).status_code == 200
        assert client.post("/sms/aliyun/cb-token-0123456789abcdef/report", json=[report, report]).status_code == 200
    assert bot.process() == {"rated": 1, "delivered": 1}
    assert bot.process() == {}
    with app.app_context(), db.connection_context():
        assert SmsInbox.select().count() == 2
        assert Rating.select().count() == 1
    bot.send()
    assert len(fake.sent) == 2  # the invitation and one thank-you


def test_the_older_callback_shape_is_accepted(app, bot, fake, client):
    bot.complete()
    bot.send()
    item = fake.up_item(PHONE, "满意", sequence_id="1234567890", old_shape=True)
    assert isinstance(item["sequence_id"], int) and "sign_name" in item
    assert client.post("/sms/aliyun/cb-token-0123456789abcdef/up", json=[item]).status_code == 200
    float_item = dict(item, sequence_id=1234567890.0)
    assert client.post("/sms/aliyun/cb-token-0123456789abcdef/up", json=[float_item]).status_code == 200
    assert bot.process() == {"rated": 1}
    assert rating_of(app).level == 4


def test_delivery_failure_report_is_visible(app, bot, fake, client):
    bot.complete()
    bot.send()
    [sms] = fake.sent
    failed = fake.report_item(sms, success=False, err_code="MK:0001", err_msg="用户关机")
    client.post("/sms/aliyun/cb-token-0123456789abcdef/report", json=[failed])
    assert bot.process() == {"undelivered": 1}
    invitation = bot.invitation()
    assert (invitation.state, invitation.error_code, invitation.error_message) == ("failed", "MK:0001", "用户关机")


def test_no_phone_number_in_the_logs(app, bot, fake, caplog):
    caplog.set_level("DEBUG")
    fake.fail_next("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
    bot.complete("GA-2026-0001")
    bot.complete("GA-2026-0002")
    bot.send()
    bot.up("5")
    bot.send()
    # peewee's DEBUG echo of SQL parameters is the database layer's, not a log line of ours.
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("peewee")]
    assert not [line for line in ours if PHONE in line]
    assert any("138****8000" in line for line in ours)


@pytest.mark.settings({"sms": {"provider": "console"}})
def test_console_provider_records_and_sends_nothing(app, bot, fake):
    bot.complete()
    assert bot.send() == {"sent": 1}
    assert fake.sent == []
    assert bot.invitation().state == "sent"
    with app.app_context(), db.connection_context():
        message = SmsMessage.get()
        outbox = Outbox.get(Outbox.kind == "sms.invite")
    assert message.provider == "console" and message.state == "sent"
    assert message.text.startswith("您在区公安分局办理的“居民身份证换领”已办结")
    assert "https://hcp.example.cn/r/" in message.text and outbox.state == "sent"
    assert json.loads(message.params)["code"] in message.text


def test_another_conversation_plugs_into_the_router(app, bot, fake, monkeypatch):
    """Other areas register a handler for their purpose (the 回访 does, in
    sms/conversations/followup.py), and replies to their newest prompt reach it."""
    from sms import router

    seen = []

    def survey(incoming, prompt):
        seen.append((incoming.text, prompt.ref))
        SmsMessage.close_prompts(incoming.phone, purposes=("survey",))
        return "survey", prompt.ref

    bot.complete()
    bot.send()
    with app.app_context(), db.connection_context():
        Outbox.put(
            "sms.message",
            "survey:9",
            {"phone": PHONE, "text": "您对大厅环境满意吗？", "purpose": "survey", "ref": "survey:9"},
        )
    bot.send()
    monkeypatch.setitem(router.HANDLERS, "survey", survey)
    assert bot.up("满意") == {"survey": 1}
    assert seen == [("满意", "survey:9")]
    # With the survey answered, the next reply goes back to the open invitation.
    assert bot.up("4") == {"rated": 1}


def test_a_prompt_without_a_handler_is_passed_over(app, bot, fake):
    bot.complete()
    bot.send()
    with app.app_context(), db.connection_context():
        Outbox.put(
            "sms.message",
            "survey:9",
            {"phone": PHONE, "text": "您对大厅环境满意吗？", "purpose": "survey", "ref": "survey:9"},
        )
    bot.send()
    assert bot.up("5") == {"rated": 1}


def test_the_sms_commands(app, runner, bot, fake):
    bot.complete()
    result = runner.invoke(args=["sms", "tick"])
    assert result.exit_code == 0, result.output
    assert "send:  {'sent': 1}" in result.output
    result = runner.invoke(args=["sms", "status"])
    assert "{'sent': 1}" in result.output and "138****8000" in result.output and PHONE not in result.output


@pytest.mark.settings({"sms": {"quiet_hours": ["21:00", "08:00"]}})
def test_a_reason_sent_before_the_acknowledgement_is_kept(app, bot, fake):
    bot.complete()
    bot.send()
    bot.at(dt.datetime(2026, 11, 26, 21, 30))
    assert bot.up("1") == {"rated": 1}
    assert bot.up("等了一下午没人管") == {"reason": 1}
    assert bot.send() == {"held": 2}
    assert rating_of(app).comment == "等了一下午没人管"
    bot.at(dt.datetime(2026, 11, 27, 8, 0))
    assert bot.send() == {"sent": 2}
    contents = [r["params"]["content"] for r in fake.sent[-2:]]
    assert any("将于" in c for c in contents) and any("已记录并转交" in c for c in contents)
    # The acknowledgement no longer waits for a reason: a further text is no second one.
    assert bot.up("还有一件事") == {"already_rated": 1}
    assert rating_of(app).comment == "等了一下午没人管"
