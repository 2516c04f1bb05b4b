"""Delivering a department's reply to a bad review (outbox `ticket.reply_notice`).

A citizen who rated in the mini program and accepted the reply template gets
a subscribe message; everyone else — and anyone whose acceptance is used up
(43101) or when WeChat's quota is spent or it refuses the message — gets an
SMS: an `sms.message` outbox row to the case's applicant phone (or the number
left with an on-site bad review), which the SMS area sends. WeChat being down
is retried with backoff, then falls back to SMS as well.
"""

import logging

from core import clock
from core.config import current_settings
from models import TICKET_STATES
from models import Outbox
from models import RaterContact
from models import Ticket
from models import WxSubscription
from models import db

from .client import WeChatError
from .client import call
from .client import effective
from .client import get_client

log = logging.getLogger(__name__)

KIND = "ticket.reply_notice"
BACKOFF_SECONDS = (60, 300, 1800)
MINIPROGRAM_STATE = {"release": "formal", "trial": "trial", "develop": "developer"}
SMS_REPLY_MAX = 300


def deliver_reply_notices() -> int:
    """Job: deliver every due reply notice; returns how many were settled."""
    settled = 0
    with db.connection_context():
        for row in list(Outbox.due(KIND)):
            settled += deliver(row)
    return settled


def deliver(row: Outbox) -> int:
    ticket_id = row.data.get("ticket_id")
    ticket = Ticket.get_or_none(Ticket.id == ticket_id) if isinstance(ticket_id, int) else None
    if ticket is None:
        row.fail(f"ticket {ticket_id!r} not found")
        return 1
    if not ticket.reply_text or ticket.replied_at is None:
        row.fail(f"ticket {ticket.ticket_no} has no reply to deliver")
        return 1
    reason = "no subscription"
    subscription = _subscription(ticket)
    if subscription is not None:
        try:
            _send_subscribe(subscription, ticket)
        except WeChatError as exc:
            if exc.kind == "unavailable" and row.attempts < len(BACKOFF_SECONDS):
                row.retry_later(f"WeChat unavailable: {exc.errcode} {exc.errmsg}", BACKOFF_SECONDS[row.attempts])
                return 0
            if exc.errcode == 43101:
                # Refused, or the one-time acceptance is already spent.
                WxSubscription.update(remaining=0).where(WxSubscription.id == subscription.id).execute()
            reason = f"subscribe message failed ({exc.kind} {exc.errcode})"
        else:
            with db.atomic():
                (
                    WxSubscription.update(remaining=WxSubscription.remaining - 1, last_sent_at=clock.now())
                    .where((WxSubscription.id == subscription.id) & (WxSubscription.remaining > 0))
                    .execute()
                )
                row.mark_sent()
            log.info("reply to ticket %s sent as a subscribe message", ticket.ticket_no)
            return 1
    return _fall_back_to_sms(row, ticket, reason)


def _subscription(ticket):
    rating = ticket.rating
    if rating.channel != "wechat" or not (rating.rater_ref or "").startswith("wx:"):
        return None
    template = effective(current_settings())["reply_template"]
    if not template:
        return None
    row = WxSubscription.find(rating.rater_ref[3:], template)
    return row if row is not None and row.remaining > 0 else None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _subject(ticket) -> str:
    rating = ticket.rating
    if rating.item_id:
        return rating.item.name
    if rating.window_id:
        return rating.window.name
    return ticket.department.name


def _send_subscribe(subscription, ticket) -> None:
    settings = current_settings()
    tpl = settings.wechat.reply_template
    data = {
        tpl.item_key: {"value": _clip(_subject(ticket), 20)},
        tpl.state_key: {"value": _clip(TICKET_STATES.get(ticket.state, "已反馈"), 5)},
        tpl.reply_key: {"value": _clip(ticket.reply_text, 20)},
        tpl.time_key: {"value": f"{ticket.replied_at:%Y-%m-%d %H:%M}"},
    }
    body = {
        "touser": subscription.openid,
        "template_id": subscription.template_id,
        "page": f"{tpl.page}?ticket={ticket.ticket_no}",
        "data": data,
        "miniprogram_state": MINIPROGRAM_STATE[settings.wechat.env_version],
        "lang": "zh_CN",
    }
    call(get_client().post, "message/subscribe/send", data=body)


def _fall_back_to_sms(row: Outbox, ticket, reason: str) -> int:
    phone = None
    if ticket.case_id and ticket.case.applicant_phone:
        phone = ticket.case.applicant_phone
    else:
        contact = RaterContact.for_rating(ticket.rating)
        phone = contact.phone if contact else None
    if phone is None:
        row.fail(f"{reason}; no phone number: the citizen cannot be reached, the hall must answer in person")
        return 1
    text = (
        f"您对“{_subject(ticket)}”的评价（工单号 {ticket.ticket_no}）已收到{ticket.department.name}的答复："
        f"{_clip(ticket.reply_text, SMS_REPLY_MAX)}"
    )
    with db.atomic():
        Outbox.put(
            "sms.message",
            f"ticket.reply.sms:{ticket.id}",
            {"phone": phone, "text": text, "purpose": "reply", "ref": f"ticket:{ticket.id}"},
        )
        row.mark_sent()
    log.info("reply to ticket %s goes by SMS (%s)", ticket.ticket_no, reason)
    return 1
