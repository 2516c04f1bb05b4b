"""Callbacks: stored first (by the webhook), processed after (by a job).

Every item gets a dedupe key — `(phone_number, sequence_id)` for a reply,
`(biz_id, phone_number)` for a delivery report, the number as its lookup
hash — so a repeated push is stored once and processed once. The item itself
is stored encrypted (SmsInbox.payload).
"""

import datetime as dt
import json
import logging

from cases.codes import normalize_phone
from core import clock
from core.errors import error
from models import Invitation
from models import Outbox
from models import db
from models.pii import phone_hash

from .models import SmsInbox
from .models import SmsMessage

log = logging.getLogger(__name__)

MAX_CONTENT = 1000


def _text(item: dict, key: str, required: bool = True, limit: int = 64) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        error("invalid_item", f"回执字段 {key} 缺失或格式不正确", 400)
    return value


def _phone(item: dict) -> str:
    phone = normalize_phone(_text(item, "phone_number", limit=20))
    if phone is None:
        error("invalid_item", "回执字段 phone_number 不是有效的手机号码", 400)
    return phone


def _sequence_id(item: dict) -> str:
    value = item.get("sequence_id")
    # The current doc sends a string, the older one a number (MNS: a double).
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
        error("invalid_item", "回执字段 sequence_id 缺失或格式不正确", 400)
    if isinstance(value, float):
        if not value.is_integer():
            error("invalid_item", "回执字段 sequence_id 格式不正确", 400)
        value = int(value)
    text = str(value)
    if len(text) > 64:
        error("invalid_item", "回执字段 sequence_id 过长", 400)
    return text


def _up(item: dict) -> tuple[str, dict]:
    phone = _phone(item)
    content = _text(item, "content", required=False, limit=MAX_CONTENT) or ""
    sequence_id = _sequence_id(item)
    for key in ("send_time", "dest_code", "sign_name"):
        _text(item, key, required=False)
    stored = {**item, "phone_number": phone, "sequence_id": sequence_id, "content": content}
    return dedupe_key("up", stored), stored


def _report(item: dict) -> tuple[str, dict]:
    phone = _phone(item)
    _text(item, "biz_id")
    if not isinstance(item.get("success"), bool):
        error("invalid_item", "回执字段 success 必须是布尔值", 400)
    for key in ("out_id", "err_code", "send_time", "report_time", "sms_size"):
        _text(item, key, required=False)
    _text(item, "err_msg", required=False, limit=500)
    stored = {**item, "phone_number": phone}
    return dedupe_key("report", stored), stored


def dedupe_key(kind: str, stored: dict) -> str:
    """What makes a callback item unique; the phone number only as its lookup hash."""
    if kind == "up":
        return f"up:{phone_hash(stored['phone_number'])}:{stored['sequence_id']}"
    return f"report:{stored['biz_id']}:{phone_hash(stored['phone_number'])}"


def store_callback(kind: str, items: list) -> None:
    """Check every item, then store them all or nothing; a repeated item is a no-op."""
    parse = _up if kind == "up" else _report
    rows = []
    for item in items:
        if not isinstance(item, dict):
            error("invalid_item", "回执数组的每一项必须是 JSON 对象", 400)
        key, stored = parse(item)
        rows.append({"kind": kind, "dedupe_key": key, "payload": json.dumps(stored, ensure_ascii=False)})
    with db.atomic():
        for row in rows:
            SmsInbox.insert(received_at=clock.now(), **row).on_conflict_ignore().execute()


def process_inbox(limit: int = 200) -> dict:
    """The job: handle stored callbacks in arrival order, each once."""
    from .router import handle_reply

    counts: dict = {}
    with db.connection_context():
        for row in list(SmsInbox.pending(limit)):
            try:
                with db.atomic():
                    claimed = (
                        SmsInbox.update(state="done", processed_at=clock.now())
                        .where((SmsInbox.id == row.id) & (SmsInbox.state == "pending"))
                        .execute()
                    )
                    if claimed != 1:
                        continue
                    data = row.data
                    if row.kind == "up":
                        outcome, detail = handle_reply(row.id, data["phone_number"], data.get("content") or "")
                    else:
                        outcome, detail = handle_report(data)
                    SmsInbox.update(outcome=outcome, detail=detail).where(SmsInbox.id == row.id).execute()
            except Exception:
                log.exception("sms inbox row %s could not be processed", row.id)
                SmsInbox.update(state="failed", outcome="error", detail="处理出错，请检查日志").where(
                    (SmsInbox.id == row.id) & (SmsInbox.state == "pending")
                ).execute()
                outcome = "error"
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


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
