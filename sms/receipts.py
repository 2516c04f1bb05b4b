"""Delivery receipts: the SmsReport pushes (stored by the webhook, handled by
the inbox job through `handle_report`), and the receipts that never came —
Aliyun does not guarantee its pushes, so SMS still without a receipt after a
while are looked up with QuerySendDetails (by number and day) and settled the
same way (`apply_receipt`)."""

import datetime as dt
import logging
from contextlib import closing

from core import clock
from core.config import current_settings
from core.crypto import phone_hash
from models import Invitation
from models import Outbox
from models import db
from models.sms import SmsMessage

from .provider import make_provider

log = logging.getLogger(__name__)

# Give the push time to arrive before asking; Aliyun keeps details 30 days.
AFTER = dt.timedelta(hours=1)
WITHIN = dt.timedelta(days=3)
MAX_LOOKUPS = 50


def reconcile_receipts() -> dict:
    settings = current_settings()
    if settings.sms.provider != "aliyun":
        return {}
    provider = make_provider(settings.sms)
    now = clock.now()
    counts: dict = {}
    with db.connection_context(), closing(provider):
        waiting = list(
            SmsMessage.select()
            .where(
                (SmsMessage.provider == "aliyun")
                & (SmsMessage.state == "sent")
                & (SmsMessage.sent_at <= now - AFTER)
                & (SmsMessage.sent_at > now - WITHIN)
            )
            .order_by(SmsMessage.sent_at)
        )
        groups: dict = {}
        for message in waiting:
            groups.setdefault((message.phone, message.created_at.date()), []).append(message)
        for (phone, day), messages in list(groups.items())[:MAX_LOOKUPS]:
            details = provider.details(phone, day)
            if isinstance(details, str):
                counts["error"] = counts.get("error", 0) + 1
                log.warning("QuerySendDetails failed: %s", details)
                continue
            for message in messages:
                outcome = _settle(message, details)
                counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _settle(message: SmsMessage, details: list[dict]) -> str:
    for item in details:
        if str(item.get("OutId")) != message.out_id or item.get("TemplateCode") != message.template_code:
            continue
        status = int(item.get("SendStatus") or 1)
        if status == 1:
            return "waiting"
        try:
            at = dt.datetime.strptime(item.get("ReceiveDate") or "", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            at = clock.now()
        code = str(item.get("ErrCode") or "")[:64]
        with db.atomic():
            outcome, _ = apply_receipt(message, status == 3, code, "运营商回执（查询）：" + code, at)
        return outcome
    return "not_found"


def _report_time(data: dict) -> dt.datetime:
    try:
        return dt.datetime.strptime(data.get("report_time") or "", "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return clock.now()


def handle_report(data: dict) -> tuple[str, str | None]:
    """A delivery receipt: the message (and its invitation) becomes delivered or failed."""
    phone, biz_id, out_id = data["phone_number"], data["biz_id"], data.get("out_id")
    message = SmsMessage.by_provider_id(biz_id)
    if message is None and out_id:
        # An attempt whose answer was lost has no BizId yet; OutId names it.
        message = (
            SmsMessage.select()
            .where(
                (SmsMessage.out_id == out_id)
                & (SmsMessage.phone_hash == phone_hash(phone))
                & SmsMessage.provider_id.is_null()
            )
            .where(SmsMessage.state.in_(("sending", "unknown")))
            .order_by(SmsMessage.id.desc())
            .first()
        )
    if message is None:
        return "unknown_message", f"biz_id {biz_id}"
    if message.state in ("sending", "unknown"):
        _confirm_lost_answer(message, biz_id)
    code, text = (data.get("err_code") or "")[:64], data.get("err_msg") or ""
    return apply_receipt(message, data["success"], code, text, _report_time(data))


def apply_receipt(message: SmsMessage, success: bool, code: str, text: str, at: dt.datetime) -> tuple[str, str | None]:
    """Delivered or not: the message, and the invitation it carried. A receipt
    never overrides an earlier one, so reordered pushes change nothing."""
    if success:
        SmsMessage.update(state="delivered", delivered_at=at).where(
            (SmsMessage.id == message.id) & (SmsMessage.state == "sent")
        ).execute()
        if message.purpose == "invite" and message.invitation_id:
            Invitation.update(state="delivered", delivered_at=at).where(
                (Invitation.id == message.invitation_id) & (Invitation.state == "sent")
            ).execute()
        return "delivered", None
    SmsMessage.update(state="failed", error_code=code, error_message=text).where(
        (SmsMessage.id == message.id) & (SmsMessage.state == "sent")
    ).execute()
    if message.purpose == "invite" and message.invitation_id:
        Invitation.update(state="failed", error_code=code, error_message=text or "运营商回执：发送失败").where(
            (Invitation.id == message.invitation_id) & (Invitation.state == "sent")
        ).execute()
    return "undelivered", code


def _confirm_lost_answer(message: SmsMessage, biz_id: str) -> None:
    """A receipt proves an attempt whose answer was lost did reach Aliyun:
    it is sent, and its outbox row must not send it again."""
    now = clock.now()
    SmsMessage.update(state="sent", provider_id=biz_id, sent_at=now, error_code=None, error_message=None).where(
        SmsMessage.id == message.id
    ).execute()
    Outbox.update(state="sent", sent_at=now, last_error=None).where(
        (Outbox.id == message.outbox_id) & (Outbox.state == "pending")
    ).execute()
    if message.purpose == "invite" and message.invitation_id:
        Invitation.update(state="sent", sent_at=now, provider_id=biz_id).where(
            (Invitation.id == message.invitation_id) & (Invitation.state == "scheduled")
        ).execute()
