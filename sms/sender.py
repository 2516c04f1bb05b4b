"""The sender job: outbox rows of kinds `sms.invite`, `sms.reminder` and
`sms.message` become SMS, within quiet hours, the per-phone daily cap and the
opt-out list.

Each attempt is stored (SmsMessage, state `sending`) before the provider is
called. When the answer is lost (timeout, crash) the attempt stays open and
the next run asks the provider (QuerySendDetails) before sending again: a
lost answer never becomes a second SMS.
"""

import datetime as dt
import json
import logging
from contextlib import closing
from dataclasses import dataclass

from core import clock
from core.codes import mask_phone
from core.codes import normalize_phone
from core.config import current_settings
from models import Invitation
from models import OptOut
from models import Outbox
from models import Rating
from models import db
from models.sms import SmsMessage

from . import texts
from .provider import ACCOUNT_CODES
from .provider import make_provider
from .schedule import hold_until
from .schedule import next_day_start

log = logging.getLogger(__name__)

KINDS = ("sms.invite", "sms.reminder", "sms.message")
CLAIM_SECONDS = 120
UNKNOWN_RETRY_SECONDS = 120
# Prompts other than invitations wait this long for an answer.
PROMPT_DAYS = 7
# The purpose of a one-time code's SMS (ratings/verification.py).
OTP = "otp"


@dataclass
class Plan:
    phone: str
    purpose: str
    ref: str | None
    template_code: str
    params: dict
    text: str
    out_id: str
    invitation: Invitation | None = None
    capped: bool = False
    expects_reply_until: dt.datetime | None = None
    context: str | None = None


def send_due(limit: int = 100) -> dict:
    """Send what is due; returns counts by result. Safe to run concurrently."""
    settings = current_settings()
    provider = make_provider(settings.sms)
    counts: dict = {}
    with db.connection_context(), closing(provider):
        for kind in KINDS:
            for row in list(Outbox.due(kind, limit)):
                if not _claim(row):
                    continue
                try:
                    result = _send_row(row, settings, provider)
                except Exception:
                    log.exception("sms outbox row %s failed unexpectedly", row.id)
                    row.retry_later("内部错误，稍后重试", 300)
                    result = "error"
                counts[result] = counts.get(result, 0) + 1
    return counts


def _claim(row: Outbox) -> bool:
    """Lease the row so that a second sender running now leaves it alone."""
    lease = clock.now() + dt.timedelta(seconds=CLAIM_SECONDS)
    claimed = (
        Outbox.update(available_at=lease)
        .where((Outbox.id == row.id) & (Outbox.state == "pending") & (Outbox.available_at == row.available_at))
        .execute()
    )
    return claimed == 1


def _hold(row: Outbox, until: dt.datetime, note: str) -> str:
    """Not now, by rule (quiet hours, daily cap): no attempt is counted."""
    Outbox.update(available_at=until, last_error=note).where(Outbox.id == row.id).execute()
    return "held"


def _send_row(row: Outbox, settings, provider) -> str:
    plan = _plan(row, settings)
    if isinstance(plan, str):
        return plan
    # A one-time code is sent at once, quiet hours or not: the citizen asked for it and is waiting.
    quiet_end = hold_until(clock.now(), settings.sms.quiet_hours) if plan.purpose != OTP else None
    if quiet_end is not None:
        return _hold(row, quiet_end, f"免打扰时段，{quiet_end:%m-%d %H:%M} 后发送")
    if plan.capped and SmsMessage.capped_count(plan.phone, clock.today()) >= settings.sms.daily_cap_per_phone:
        until = next_day_start(clock.now(), settings.sms.quiet_hours)
        return _hold(row, until, f"该号码今日短信已达上限，{until:%m-%d %H:%M} 后发送")
    attempt = SmsMessage.attempt_for(row.id)
    if attempt is not None:
        found = provider.find(attempt.phone, attempt.created_at.date(), attempt.out_id, attempt.template_code)
        if found.status == "sent":
            with db.atomic():
                _succeeded(row, attempt, plan, found.biz_id)
            return "sent"
        if found.status == "error":
            row.retry_later(f"查询发送记录失败：{found.message}", UNKNOWN_RETRY_SECONDS)
            return "retry"
        attempt.state, attempt.error_code = "failed", "NOT_SENT"
        attempt.error_message = "服务商无此发送记录，重新发送"
        attempt.save()
    attempt = SmsMessage.create(
        outbox_id=row.id,
        invitation=plan.invitation,
        phone=plan.phone,
        purpose=plan.purpose,
        ref=plan.ref,
        provider=provider.name,
        template_code=plan.template_code,
        params=_json(plan.params),
        text=plan.text,
        out_id=plan.out_id,
        context=plan.context,
        expects_reply_until=plan.expects_reply_until,
        created_at=clock.now(),
    )
    outcome = provider.send(plan.phone, settings.sms.sign_name, plan.template_code, plan.params, plan.out_id)
    with db.atomic():
        if outcome.status == "ok":
            _succeeded(row, attempt, plan, outcome.biz_id)
            return "sent"
        if outcome.status == "unknown":
            attempt.state, attempt.error_code, attempt.error_message = "unknown", outcome.code, outcome.message
            attempt.save()
            row.retry_later(f"{outcome.code} {outcome.message}", UNKNOWN_RETRY_SECONDS)
            return "unknown"
        attempt.state, attempt.error_code, attempt.error_message = "failed", outcome.code, outcome.message
        attempt.save()
        if outcome.status == "transient":
            row.retry_later(f"{outcome.code} {outcome.message}", _backoff(row.attempts, outcome, settings))
            _note_invitation(plan, outcome.code, outcome.message, failed=False)
            return "retry"
        row.fail(f"{outcome.code} {outcome.message}")
        _note_invitation(plan, outcome.code, outcome.message, failed=True)
        log.warning("SMS to %s failed permanently: %s", mask_phone(plan.phone), outcome.code)
        return "failed"


def _succeeded(row: Outbox, attempt: SmsMessage, plan: Plan, biz_id: str | None) -> None:
    now = clock.now()
    attempt.state, attempt.provider_id, attempt.sent_at = "sent", biz_id, now
    attempt.error_code = attempt.error_message = None
    attempt.save()
    row.mark_sent()
    inv = plan.invitation
    if inv is not None and plan.purpose == "invite":
        changes = {"state": "sent", "sent_at": now, "provider_id": biz_id, "error_code": None, "error_message": None}
        Invitation.update(attempts=Invitation.attempts + 1, **changes).where(
            (Invitation.id == inv.id) & (Invitation.state == "scheduled")
        ).execute()
    log.info("SMS %s sent to %s (%s)", attempt.id, mask_phone(plan.phone), plan.purpose)


def _note_invitation(plan: Plan, code: str, message: str, failed: bool) -> None:
    inv = plan.invitation
    if inv is None or plan.purpose != "invite":
        return
    changes = {"error_code": code[:64], "error_message": message, "attempts": Invitation.attempts + 1}
    if failed:
        changes["state"] = "failed"
    Invitation.update(**changes).where((Invitation.id == inv.id) & (Invitation.state == "scheduled")).execute()


def _backoff(attempts: int, outcome, settings) -> float:
    daily = outcome.code == "isv.DAY_LIMIT_CONTROL"
    if daily or (outcome.code == "isv.BUSINESS_LIMIT_CONTROL" and "天级" in outcome.message):
        return (next_day_start(clock.now(), settings.sms.quiet_hours) - clock.now()).total_seconds()
    if outcome.code in ACCOUNT_CODES:
        return 1800
    # 1, 2, 4 … minutes, at most 10: a provider down for an hour loses nothing
    # and the backlog leaves within minutes of its return.
    return min(60 * 2 ** min(attempts, 10), 600)


def _plan(row: Outbox, settings):
    if row.kind == "sms.message":
        return _message_plan(row, settings)
    inv = Invitation.get_or_none(Invitation.id == row.data.get("invitation_id"))
    if inv is None:
        row.fail("邀请记录不存在")
        return "failed"
    case = inv.case
    reminder = row.kind == "sms.reminder"
    if Rating.first_for_case(case) is not None:
        Invitation.update(state="rated").where(
            (Invitation.id == inv.id) & Invitation.state.in_(("scheduled", "sent", "delivered"))
        ).execute()
        row.mark_sent()
        return "skipped"
    if inv.state not in (("sent", "delivered") if reminder else ("scheduled",)):
        row.mark_sent()  # cancelled, expired or already sent: nothing to do
        return "skipped"
    deadline = case.completed_at + dt.timedelta(days=settings.ratings.rating_window_days)
    if clock.now() >= deadline:
        Invitation.update(state="expired").where(Invitation.id == inv.id).execute()
        row.fail("评价期限已过，未发送")
        return "expired"
    phone = case.applicant_phone
    if not phone:
        Invitation.update(state="cancelled", error_code="no_phone", error_message="办件没有申请人手机号").where(
            Invitation.id == inv.id
        ).execute()
        row.fail("办件没有申请人手机号")
        return "failed"
    if OptOut.has(phone):
        if not reminder:
            Invitation.update(state="cancelled", error_code="opted_out", error_message="该号码已退订评价短信").where(
                Invitation.id == inv.id
            ).execute()
        row.mark_sent()
        return "opted_out"
    aliyun = settings.sms.aliyun
    params = {"item": texts.short(case.item.name), "code": case.rating_code}
    if reminder:
        template_code, template = aliyun.reminder_template, texts.REMINDER
    else:
        params = {"dept": texts.short(case.department.name), **params}
        template_code, template = aliyun.invite_template, texts.INVITE
    return Plan(
        phone=phone,
        purpose="reminder" if reminder else "invite",
        ref=f"invitation:{inv.id}",
        template_code=template_code,
        params=params,
        text=texts.render(template, params),
        out_id=str(inv.id),
        invitation=inv,
        capped=True,
        expects_reply_until=deadline,
    )


def _message_plan(row: Outbox, settings):
    data = row.data
    phone = normalize_phone(str(data.get("phone") or ""))
    text = str(data.get("text") or "").strip()
    if phone is None or not text:
        row.fail("sms.message 缺少有效的手机号或内容")
        return "failed"
    purpose = str(data.get("purpose") or "reply")[:24]
    context = data.get("context")
    if purpose == OTP:
        return _otp_plan(row, settings, phone, text, data)
    expects = purpose != "reply"  # a reply closes a conversation; anything else may be answered
    if purpose == "bad_review_ack" and isinstance(context, dict):
        # Held by quiet hours, the acknowledgement may follow a reason given already.
        expects = not Outbox.select().where(Outbox.dedupe_key == f"sms:reason:{context.get('rating_id')}").exists()
    return Plan(
        phone=phone,
        purpose=purpose,
        ref=(str(data["ref"])[:64] if data.get("ref") else None),
        template_code=settings.sms.aliyun.message_template,
        params={"content": text},
        text=text,
        out_id=f"m{row.id}",
        expects_reply_until=clock.now() + dt.timedelta(days=PROMPT_DAYS) if expects else None,
        context=_json(context) if context else None,
    )


def _otp_plan(row: Outbox, settings, phone: str, text: str, data: dict):
    """A one-time code (ratings/verification.py): Aliyun's verification-code template, never
    after the code expired, and no answer expected."""
    code = str(data.get("code") or "")
    try:
        expires = clock.parse_iso(data.get("expires_at"))
    except (TypeError, ValueError):
        expires = None
    if not (code.isdigit() and len(code) == 6) or expires is None:
        row.fail("验证码短信缺少验证码或有效期")
        return "failed"
    if clock.now() >= expires:
        row.fail("验证码已过有效期，未发送")
        return "expired"
    return Plan(
        phone=phone,
        purpose=OTP,
        ref=None,
        template_code=settings.sms.aliyun.otp_template,
        params={"code": code},
        text=text,
        out_id=f"m{row.id}",
    )


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
