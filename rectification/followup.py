"""差评件件有反馈: the reply to the citizen and the 回访 that asks how satisfied
they are with the rectification.

The reply leaves as a `ticket.reply_notice` outbox row (the WeChat area sends
a subscribe message to a mini-program rater, else an SMS to the applicant);
the 回访 question as an `sms.message` row after `followup_delay_hours`. The
SMS area routes the citizen's answer back through `answer_by_sms`; staff
record a phone 回访 with `record_followup` — by default bureau staff only
(`rectification.followup_by`, enforced in `workflow`). 不满意 reopens the ticket
with a new deadline and escalates it to the bureau.
"""

import datetime as dt
import re
import unicodedata

from core import clock
from core.codes import normalize_phone
from core.errors import error
from core.levels import CN_DIGITS
from core.levels import LEVEL_MENU
from core.levels import LEVEL_NAMES
from core.levels import WHOLE_ONLY
from core.levels import leading_words_level
from core.levels import words_level
from core.numbers import to_int
from models import Notification
from models import Outbox
from models import Ticket
from models import db
from models.ticket import FOLLOWUP_CHANNELS
from models.ticket import FOLLOWUP_RESULTS

from . import workflow
from .deadlines import deadline

MAX_REPLY = 1000


def send_reply(ticket: Ticket, text, actor) -> Ticket:
    """Answer the citizen. For an explanation the text defaults to the explanation itself."""
    rect = workflow.settings().rectification
    default = ticket.resolution_text if ticket.state == "explained" else None
    text = workflow.clean_text(text if text not in (None, "") else default, "答复内容", MAX_REPLY)
    workflow.authorize(ticket, "reply", actor, text)
    now = clock.now()
    number = ticket.reply_count + 1
    phone = ticket.case.applicant_phone if ticket.case_id else None
    asked_at = now + dt.timedelta(hours=rect.followup_delay_hours) if phone else None
    with db.atomic():
        fresh = workflow.move(
            ticket,
            "reply",
            actor,
            text,
            reply_text=text,
            replied_at=now,
            reply_count=number,
            followup_asked_at=asked_at,
        )
        if phone or _rated_in_mini_program(ticket):
            Outbox.put("ticket.reply_notice", f"reply:{ticket.id}:{number}", {"ticket_id": ticket.id})
        else:
            workflow.record(ticket, "reply_undeliverable", None, note="评价人未留联系方式，答复已存档")
        if phone:
            Outbox.put(
                "sms.message",
                f"followup:{ticket.id}:{number}",
                {
                    "phone": phone,
                    "text": followup_question(rect),
                    "purpose": "followup",
                    "ref": f"ticket:{ticket.id}",
                    # The prompt keeps the meaning it is sent with: its answers are read on this scale.
                    "context": {"scale": SCALE},
                },
                available_at=asked_at,
            )
        else:
            # The phone 回访 is the bureau's (its 回访 queue) unless the department does its own.
            Notification.put(
                f"followup-call:{ticket.id}:{number}",
                "ticket.followup_call",
                f"差评工单 {ticket.ticket_no} 无法短信回访，请电话回访或记录无法回访。",
                department=None if workflow.followup_by_bureau() else ticket.department_id,
                ref=f"ticket:{ticket.id}",
            )
    return fresh


# The scale a 回访 question asks on, stored on the prompt (`context.scale`): "levels" is the
# rating SMS's own — the same numbers and words, 5 best. A question sent before it (no scale on
# the prompt, or still queued as an outbox row without one) asked "1满意 2基本满意 3不满意" and
# its answers keep that meaning (LEGACY_SCALE).
SCALE = "levels"
LEGACY_SCALE = "legacy"
# The level a 回访 answer names → the result recorded (`FOLLOWUP_RESULTS`).
RESULT_BY_LEVEL = {5: "satisfied", 4: "satisfied", 3: "basically_satisfied", 2: "unsatisfied", 1: "unsatisfied"}


def followup_question(rect, scale: str = SCALE) -> str:
    if scale == LEGACY_SCALE:
        options = " ".join(f"{n}{FOLLOWUP_RESULTS[code]}" for n, code in enumerate(rect.followup_scale, 1))
        return f"您反映的服务问题已整改并答复。请回复数字评价整改结果：{options}。"
    return f"您反映的服务问题已整改并答复。请回复数字评价整改结果：{_menu(rect)}。"


def _menu(rect) -> str:
    """The rating SMS's menu; without 基本满意 on the configured scale, without 3."""
    if "basically_satisfied" in rect.followup_scale:
        return LEVEL_MENU
    return " ".join(f"{level}{LEVEL_NAMES[level]}" for level in (5, 4, 2, 1))


def followup_choice(text: str, rect, scale: str = SCALE) -> str | None:
    """The 回访 answer in an SMS body ("5", "满意", "不满意" …) on the scale its question asked,
    or None when it is no answer (unknown text, two candidate levels, off the scale)."""
    if scale == LEGACY_SCALE:
        body = (text or "").strip().rstrip("。.!！")
        legacy = list(rect.followup_scale)
        number = to_int(body, 1, len(legacy))  # "２", "①": the digits the rating parser reads too
        if number is not None:
            return legacy[number - 1]
        by_label = {FOLLOWUP_RESULTS[code]: code for code in legacy}
        return by_label.get(body)
    level = answer_level(text)
    result = RESULT_BY_LEVEL.get(level)
    return result if result in rect.followup_scale else None


# Wrapping punctuation says nothing: "5。", "【满意】".
_EDGE = " \t\r\n,.，。、;；:：!！?？~～…'\"“”‘’【】[]()（）"
_DIGIT = re.compile(r"^([1-5])(?:\.0)?\s*(?:分|星|颗星)?(?![\d.])(.*)$", re.S)
# A second candidate after the first: "4或5", "4到5", "4 5", "四或五" (not "5 10分钟", "5 一次办好").
_SECOND = re.compile(
    r"^(?:或者|或是|或|还是|到|至|和|与|/|、|~|-)?\s*"
    r"(?:[1-5](?![\d.])(?!\s*(?:分钟|个?小时|天|次|趟))|[一二两三四五](?=$|[分星\s,，。]))"
)


def answer_level(text: str) -> int | None:
    """The level (5 best) a 回访 answer names, read with the rating SMS's table of level words
    (`core.levels`); None when it names none, or two ("4或5": asked back, never recorded)."""
    body = unicodedata.normalize("NFKC", text or "").strip(_EDGE)
    if not body:
        return None
    digit = _DIGIT.match(body)
    if digit:
        level, rest = int(digit.group(1)), digit.group(2).strip(_EDGE)
        if _SECOND.match(rest):
            return None  # another candidate level
        said = leading_words_level(rest)
        return None if said is not None and abs(said - level) > 1 else level
    if body in CN_DIGITS:
        return CN_DIGITS[body] if CN_DIGITS[body] <= 5 else None
    if re.search(r"\d", body):
        return None
    if body in WHOLE_ONLY:
        return WHOLE_ONLY[body]
    level, _rest, conflict = words_level(body)
    return None if conflict else level


def answer_by_sms(phone: str, text: str, scale: str = SCALE):
    """An SMS from `phone` (any mainland format) answering a 回访 question asked on `scale`:
    the ticket it answered, or None when it is no answer (unknown text) or answers no open
    回访 question (not asked, already answered, too late)."""
    rect = workflow.settings().rectification
    phone = normalize_phone(phone or "")
    choice = followup_choice(text, rect, scale)
    if phone is None:
        return None
    if choice is None:
        return None
    ticket = Ticket.awaiting_followup(phone, clock.now() - dt.timedelta(days=rect.followup_answer_days))
    if ticket is None:
        return None
    level = answer_level(text) if scale == SCALE else None
    note = f"群众回复“{level}{LEVEL_NAMES[level]}”" if level is not None else None
    return record_followup(ticket, choice, channel="sms", actor=None, note=note)


def record_followup(ticket: Ticket, satisfaction, channel: str = "sms", actor=None, note=None) -> Ticket:
    """The 回访 result. `satisfaction` is one of the configured scale or "unreachable"
    (phone/none only); `actor` None is the citizen's own SMS answer."""
    rect = workflow.settings().rectification
    if channel not in FOLLOWUP_CHANNELS:
        error("invalid_channel", "回访方式必须是短信、电话或无联系方式", 422)
    allowed = list(rect.followup_scale) + ([] if channel == "sms" else ["unreachable"])
    if satisfaction not in allowed:
        error("invalid_satisfaction", f"回访结果必须是：{'、'.join(FOLLOWUP_RESULTS[c] for c in allowed)}", 422)
    if channel == "none" and satisfaction != "unreachable":
        error("invalid_satisfaction", "无联系方式时只能记录为无法回访", 422)
    if channel == "sms" and actor is None and not (ticket.case_id and ticket.case.applicant_phone):
        error("no_phone", "该工单没有可短信回访的手机号", 422)
    if actor is None and channel != "sms":
        error("forbidden", "电话回访须由工作人员记录", 403)
    ref = "sms" if actor is None else None
    label = f"{FOLLOWUP_CHANNELS[channel]}：{FOLLOWUP_RESULTS[satisfaction]}"
    note = workflow.clean_text(note, None)
    result = {
        "followup_result": satisfaction,
        "followup_channel": channel,
        "followed_up_at": clock.now(),
    }
    with db.atomic():
        if satisfaction != "unsatisfied":
            text = f"{label}。{note}" if note else label
            fresh = workflow.move(ticket, "followup", actor, text, target="followed_up", ref=ref, **result)
        else:
            fresh = _reopen(ticket, actor, label, note, ref, result, rect)
        # Answered by phone before the SMS question left: the citizen is not asked twice.
        Outbox.update(state="failed", last_error="cancelled: 回访已完成").where(
            (Outbox.dedupe_key == f"followup:{ticket.id}:{ticket.reply_count}") & (Outbox.state == "pending")
        ).execute()
    return fresh


def _reopen(ticket, actor, label, note, ref, result, rect) -> Ticket:
    """不满意: the ticket is worked again from verification, with a new deadline, and the bureau is told."""
    now = clock.now()
    due_at, provisional = deadline(now, rect)
    changes = dict(
        result,
        due_at=due_at,
        due_provisional=provisional,
        due_from=now,
        resolved_at=None,
        on_the_spot=False,
        followup_asked_at=None,
        reopen_count=Ticket.reopen_count + 1,
        escalated_at=now,
    )
    text = f"{label}，工单重新办理，新整改期限 {due_at:%Y-%m-%d}。{note or ''}"
    with db.atomic():
        fresh = workflow.move(ticket, "followup", actor, text, target="verifying", ref=ref, **changes)
        for department in (ticket.department_id, None):
            Notification.put(
                f"reopen:{ticket.id}:{fresh.reopen_count}:{department or 'bureau'}",
                "ticket.escalated",
                f"差评工单 {ticket.ticket_no} 回访不满意，已重新办理并升级督办，期限 {due_at:%Y-%m-%d}。",
                department=department,
                ref=f"ticket:{ticket.id}",
            )
    return fresh


def _rated_in_mini_program(ticket: Ticket) -> bool:
    return (ticket.rating.rater_ref or "").startswith("wx:")
