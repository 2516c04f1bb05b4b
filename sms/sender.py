"""The sender job: outbox rows of kinds `sms.invite`, `sms.reminder` and
`sms.message` become SMS, within quiet hours, the per-phone daily cap and the
opt-out list.

Each attempt is stored (SmsMessage, state `sending`) before the provider is
called. When the answer is lost (timeout, crash) the attempt stays open and
the next run asks the provider (QuerySendDetails) before sending again: a
lost answer never becomes a second SMS.

A run takes the due rows of a kind in chunks of up to `limit`: one UPDATE claims
a chunk (a second sender running at the same time claims other rows), what the
plans read is read once for the chunk (`Lookups`: invitations with their cases,
rated cases, opt-outs, open attempts, today's count per phone), the new attempts
are stored with one INSERT, then the SendSms calls go out in parallel within the
account's QPS (sms/throttle.py: `sms.aliyun.qps`, `concurrency`), and the answers
that are successes are settled with one UPDATE per table; any other answer row by
row, as before.
"""

import datetime as dt
import json
import logging
from contextlib import closing
from dataclasses import dataclass
from dataclasses import field

from peewee import fn

from core import clock
from core.codes import mask_phone
from core.codes import normalize_phone
from core.config import current_settings
from core.crypto import phone_hash
from models import Case
from models import Department
from models import Invitation
from models import Item
from models import OptOut
from models import Outbox
from models import Rating
from models import db
from models.bulk import insert_returning
from models.bulk import select_in
from models.bulk import to_db
from models.bulk import update_by_id
from models.rating import FIRST
from models.sms import CAPPED_PURPOSES
from models.sms import LIVE_STATES
from models.sms import SmsInbox
from models.sms import SmsMessage

from . import texts
from .provider import ACCOUNT_CODES
from .provider import make_provider
from .schedule import hold_until
from .schedule import next_day_start
from .throttle import call_all

log = logging.getLogger(__name__)

KINDS = ("sms.invite", "sms.reminder", "sms.message")
INBOX_BACKLOG = 200  # callbacks waiting in the inbox: a backlog (the inbox job takes 200 at a time)
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


def send_due(limit: int = 500) -> dict:
    """Send what is due; returns counts by result. Safe to run concurrently.

    Replies first: while the inbox holds a backlog of citizens' replies (INBOX_BACKLOG or more
    waiting), no chunk is started — the SDK's calls would take the scheduler's CPU from the
    inbox job that turns the replies into ratings, and the SMS wait seconds, not the ratings."""
    settings = current_settings()
    provider = make_provider(settings.sms)  # this thread's: lookups of lost answers
    counts: dict = {}
    with db.connection_context(), closing(provider):
        for kind in KINDS:
            while True:
                if SmsInbox.backlog(INBOX_BACKLOG) >= INBOX_BACKLOG:
                    counts["deferred_to_replies"] = 1
                    return counts
                rows = _claim_due(kind, limit)
                if rows:
                    _send_rows(rows, settings, provider, counts)
                if len(rows) < limit:
                    break
    return counts


def _claim_due(kind: str, limit: int) -> list[Outbox]:
    """Lease up to `limit` due rows of `kind` for this run: a second sender running now
    leaves them alone (the UPDATE re-checks each row's lease as it takes it)."""
    now, lease = clock.now(), clock.now() + dt.timedelta(seconds=CLAIM_SECONDS)
    due = [row.id for row in Outbox.due(kind, limit).select(Outbox.id)]
    if not due:
        return []
    with db.atomic():
        Outbox.update(available_at=lease).where(
            Outbox.id.in_(due) & (Outbox.state == "pending") & (Outbox.available_at <= now)
        ).execute()
        rows = list(Outbox.select().where(Outbox.id.in_(due) & (Outbox.available_at == lease)))
    order = {row_id: n for n, row_id in enumerate(due)}
    return sorted(rows, key=lambda row: order[row.id])


@dataclass
class Lookups:
    """What the plans of one chunk read, read once for the chunk."""

    invitations: dict = field(default_factory=dict)  # id → Invitation, its case, item and department loaded
    rated: set = field(default_factory=set)  # case ids with a first rating
    opted_out: set = field(default_factory=set)  # phone hashes
    open_attempts: dict = field(default_factory=dict)  # outbox id → its unfinished SmsMessage
    capped_today: dict = field(default_factory=dict)  # phone hash → invitations + reminders today

    @classmethod
    def load(cls, rows: list[Outbox]) -> "Lookups":
        found = cls()
        ids = [row.data.get("invitation_id") for row in rows if row.kind != "sms.message"]
        ids = [i for i in ids if isinstance(i, int)]
        if ids:
            query = (
                Invitation.select(Invitation, Case, Item, Department)
                .join(Case)
                .join(Item, on=(Case.item == Item.id))
                .join_from(Case, Department, on=(Case.department == Department.id))
                .where(Invitation.id.in_(ids))
            )
            found.invitations = {inv.id: inv for inv in query}
            cases = [inv.case_id for inv in found.invitations.values()]
            found.rated = {c for (c,) in select_in(Rating, ("case",), "case", cases, (("sequence", FIRST),))}
            hashes = [inv.case.applicant_phone_hash for inv in found.invitations.values()]
            found.opted_out = OptOut.among([h for h in hashes if h])
            start = dt.datetime.combine(clock.today(), dt.time())
            counted = (
                SmsMessage.select(SmsMessage.phone_hash, fn.COUNT(SmsMessage.id))
                .where(
                    SmsMessage.phone_hash.in_([h for h in hashes if h])
                    & SmsMessage.purpose.in_(CAPPED_PURPOSES)
                    & SmsMessage.state.in_(LIVE_STATES)
                    & (SmsMessage.created_at >= start)
                    & (SmsMessage.created_at < start + dt.timedelta(days=1))
                )
                .group_by(SmsMessage.phone_hash)
                .tuples()
            )
            found.capped_today = dict(counted)
        attempts = SmsMessage.select().where(
            SmsMessage.outbox_id.in_([row.id for row in rows]) & SmsMessage.state.in_(("sending", "unknown"))
        )
        for attempt in attempts.order_by(SmsMessage.id):
            found.open_attempts[attempt.outbox_id] = attempt  # the newest wins
        return found


def _send_rows(rows: list[Outbox], settings, provider, counts: dict) -> None:
    lookups = Lookups.load(rows)
    fresh: list[tuple[Outbox, Plan]] = []
    for row in rows:
        try:
            result = _prepare(row, settings, provider, lookups)
        except Exception:
            log.exception("sms outbox row %s failed unexpectedly", row.id)
            row.retry_later("内部错误，稍后重试", 300)
            result = "error"
        if isinstance(result, Plan):
            fresh.append((row, result))
        else:
            counts[result] = counts.get(result, 0) + 1
    if not fresh:
        return
    attempts = _record_attempts(fresh, provider.name)
    aliyun = settings.sms.aliyun
    outcomes = call_all(
        [plan for _, plan in fresh],
        lambda client, plan: client.send(
            plan.phone, settings.sms.sign_name, plan.template_code, plan.params, plan.out_id
        ),
        lambda: make_provider(settings.sms),
        aliyun.concurrency,
        aliyun.qps,
    )
    sent = [
        (row, attempt, plan, outcome.biz_id)
        for (row, plan), attempt, outcome in zip(fresh, attempts, outcomes, strict=True)
        if outcome.status == "ok"
    ]
    if sent:
        with db.atomic():
            _succeeded_many(sent)
        counts["sent"] = counts.get("sent", 0) + len(sent)
    for (row, plan), attempt, outcome in zip(fresh, attempts, outcomes, strict=True):
        if outcome.status == "ok":
            continue
        try:
            with db.atomic():
                result = _settle(row, attempt, plan, outcome, settings)
        except Exception:
            log.exception("sms outbox row %s failed unexpectedly", row.id)
            row.retry_later("内部错误，稍后重试", 300)
            result = "error"
        counts[result] = counts.get(result, 0) + 1


def _prepare(row: Outbox, settings, provider, lookups: Lookups):
    """The row's plan to send now, or the result of what was done instead (held, skipped,
    failed, an earlier attempt found or asked about)."""
    plan = _plan(row, settings, lookups)
    if isinstance(plan, str):
        return plan
    # A one-time code is sent at once, quiet hours or not: the citizen asked for it and is waiting.
    quiet_end = hold_until(clock.now(), settings.sms.quiet_hours) if plan.purpose != OTP else None
    if quiet_end is not None:
        return _hold(row, quiet_end, f"免打扰时段，{quiet_end:%m-%d %H:%M} 后发送")
    key = phone_hash(plan.phone) if plan.capped else None
    if key is not None and lookups.capped_today.get(key, 0) >= settings.sms.daily_cap_per_phone:
        until = next_day_start(clock.now(), settings.sms.quiet_hours)
        return _hold(row, until, f"该号码今日短信已达上限，{until:%m-%d %H:%M} 后发送")
    attempt = lookups.open_attempts.get(row.id)
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
        return plan  # the new attempt takes the failed one's place in today's count
    if key is not None:
        lookups.capped_today[key] = lookups.capped_today.get(key, 0) + 1  # the attempt about to be stored
    return plan


ATTEMPT_COLUMNS = ("outbox_id", "invitation", "phone", "phone_hash", "purpose", "ref", "provider", "template_code")
ATTEMPT_COLUMNS += ("params", "text", "out_id", "state", "context", "expects_reply_until", "created_at")


def _record_attempts(fresh: list[tuple[Outbox, "Plan"]], provider_name: str) -> list[SmsMessage]:
    """Every attempt stored (state `sending`) with one INSERT, committed before any call."""
    now = clock.now()
    attempts = [
        SmsMessage(
            outbox_id=row.id,
            invitation=plan.invitation,
            phone=plan.phone,
            phone_hash=phone_hash(plan.phone),
            purpose=plan.purpose,
            ref=plan.ref,
            provider=provider_name,
            template_code=plan.template_code,
            params=_json(plan.params),
            text=plan.text,
            out_id=plan.out_id,
            state="sending",
            context=plan.context,
            expects_reply_until=plan.expects_reply_until,
            created_at=now,
        )
        for row, plan in fresh
    ]
    values = to_db(SmsMessage, ATTEMPT_COLUMNS, [tuple(a.__data__.get(c) for c in ATTEMPT_COLUMNS) for a in attempts])
    with db.atomic():
        ids = [i for (i,) in insert_returning(SmsMessage, ATTEMPT_COLUMNS, values, ("id",))]
    for attempt, attempt_id in zip(attempts, ids, strict=True):
        attempt.id = attempt_id
    return attempts


def _settle(row: Outbox, attempt: SmsMessage, plan: "Plan", outcome, settings) -> str:
    """An answer other than OK, in the row's transaction."""
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


def _hold(row: Outbox, until: dt.datetime, note: str) -> str:
    """Not now, by rule (quiet hours, daily cap): no attempt is counted."""
    Outbox.update(available_at=until, last_error=note).where(Outbox.id == row.id).execute()
    return "held"


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


def _succeeded_many(sent: list[tuple[Outbox, SmsMessage, "Plan", str | None]]) -> None:
    """`_succeeded` for many: one UPDATE per table (the provider's ids row by row in a CASE)."""
    now = clock.now()
    update_by_id(
        SmsMessage,
        [attempt.id for _, attempt, _, _ in sent],
        {"state": "sent", "sent_at": now, "error_code": None, "error_message": None},
        {"provider_id": [biz_id for _, _, _, biz_id in sent]},
    )
    update_by_id(Outbox, [row.id for row, _, _, _ in sent], {"state": "sent", "sent_at": now, "last_error": None})
    invited = [
        (plan.invitation.id, biz_id)
        for _, _, plan, biz_id in sent
        if plan.invitation is not None and plan.purpose == "invite"
    ]
    if invited:
        update_by_id(
            Invitation,
            [inv_id for inv_id, _ in invited],
            {"state": "sent", "sent_at": now, "error_code": None, "error_message": None},
            {"provider_id": [biz_id for _, biz_id in invited]},
            increment="attempts",
            where=("state", "scheduled"),
        )
    for _, attempt, plan, _ in sent:
        log.debug("SMS %s sent to %s (%s)", attempt.id, mask_phone(plan.phone), plan.purpose)
    log.info("%d SMS sent", len(sent))


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


def _plan(row: Outbox, settings, lookups: Lookups):
    if row.kind == "sms.message":
        return _message_plan(row, settings)
    inv = lookups.invitations.get(row.data.get("invitation_id"))
    if inv is None:
        row.fail("邀请记录不存在")
        return "failed"
    case = inv.case
    reminder = row.kind == "sms.reminder"
    if case.id in lookups.rated:
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
    if case.applicant_phone_hash in lookups.opted_out:
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
