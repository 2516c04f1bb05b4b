"""Fraud screening of every rating, inside the rating's transaction, and its review.

`screen()` runs right after the rating is stored (rating core) and either
refuses it or flags it:

- refused (403 `staff_cannot_rate_own_case`): the rater is the staff member
  rated — the case's handler, or the staff member rated on site — known by a
  registered identity: their WeChat openid, their phone (an SMS reply or the
  SMS link of a case whose applicant phone is theirs, or the phone left on the
  window's QR page) or their device;
- flagged, to wait for the bureau's review before it counts (besides the
  on-site patterns `network_limit`, `window_rate` and `network_burst` that
  `ratings/onsite.py` finds as the rating core stores the rating):
  `staff_identity` (any other staff member's openid, phone or device),
  `staff_network` (the client IP is in a network registered to staff),
  `pad_too_fast` (a window tablet rating within `fraud.pad_min_seconds` of the
  case's completion: the clerk pressed the button), and `burst` (more than
  `fraud.burst_count` ratings of one level from one rater — a device: at one
  window — within `fraud.burst_minutes`; keyed-in paper forms are exempt).

A flagged rating is stored and never deleted: it is `excluded` (so every
figure leaves it out without knowing of flags) with the reason
"疑似刷评，待审核：…", and a `RatingFlag` row waits in the admin's queue. Its
差评 ticket still opens (the department still sees the complaint) and it is
pushed upstream like any other rating (the city system receives every rating),
as `effective` 0 while it waits. The review (bureau only, audited) counts it
again (genuine) or keeps it out with the reviewer's reason (rejected), and the
city is sent the verdict once (an outbox row in the same transaction).
"""

import datetime as dt
import ipaddress
import logging
import re

from core import cache
from core import clock
from core.codes import mask_phone
from core.codes import normalize_phone
from core.config import current_settings
from core.crypto import phone_hash
from core.errors import error
from models import AuditLog
from models import Rating
from models import RatingFlag
from models import StaffIdentity
from models import UpstreamPush
from models import db
from models.fraud import FLAG_RULES
from models.staff_identity import IDENTITY_KINDS
from models.staff_identity import PERSONAL_KINDS

log = logging.getLogger(__name__)

PENDING_PREFIX = "疑似刷评，待审核："
REJECTED_PREFIX = "刷评审核不通过："
# Channels where the case's applicant phone is the rater's: the SMS reply and the SMS link page.
PHONE_CHANNELS = ("sms", "h5")
# Rater references that name one invitation, hence rate one case at most once (plus its 追评).
SINGLE_USE_RATERS = ("sms:",)


def screen(rating: Rating, req, rules, holds: dict | None = None) -> RatingFlag | None:
    """Refuse a staff member's rating of their own work, or flag a suspicious rating (`holds`:
    the on-site patterns the rating core found, `ratings/onsite.py`)."""
    identities = _rater_identities(req)
    client = _address(getattr(req, "client_ip", None))
    rows = StaffIdentity.matching(identities, with_networks=client is not None)
    personal = [row for row in rows if row.kind in PERSONAL_KINDS]
    if rating.staff_id is not None and any(row.staff_id == rating.staff_id for row in personal):
        error("staff_cannot_rate_own_case", "工作人员不能评价本人经办的办件或本人的服务", 403)
    found: dict[str, str] = dict(holds or {})
    if personal:
        kinds = "、".join(sorted({_KIND_WORDS[row.kind] for row in personal}))
        found["staff_identity"] = f"评价人的{kinds}登记为工作人员（{personal[0].staff.name}）所有"
    networks = [row for row in rows if row.kind == "network" and _in_network(client, row.value)]
    if networks:
        found["staff_network"] = f"评价来自工作人员网络 {networks[0].shown}"
    if rating.channel == "pad" and rating.case_id is not None and req.case.completed_at is not None:
        seconds = (rating.created_at - req.case.completed_at).total_seconds()
        if seconds < rules.pad_min_seconds:
            found["pad_too_fast"] = f"窗口评价器在办结后 {max(int(seconds), 0)} 秒内评价"
    burst = _burst_size(rating, rules)
    if burst > rules.burst_count:
        found["burst"] = f"同一评价人 {rules.burst_minutes} 分钟内相同等级的评价超过 {rules.burst_count} 条"
    if not found:
        return None
    flag = _flag(rating, found)
    if "network_burst" in found:
        _hold_burst(rating, found["network_burst"], rules)
    return flag


def _hold_burst(rating: Rating, reason: str, rules) -> None:
    """A burst is a pattern: the ratings it is made of are held with the one that completed it
    (they counted until now; the city is told once each that they no longer do)."""
    since = rating.created_at - dt.timedelta(minutes=rules.network_burst_minutes)
    target = (rating.window_id, rating.staff_id)
    members = Rating.burst_members(*target, rating.onsite_day, rating.rater_network, since, rating.level)
    area = current_settings().upstream.area_code
    for member in members:
        if member.id == rating.id:
            continue
        # A concurrent rating of the same burst may hold it at this moment: one flag each, whoever wins.
        inserted = (
            RatingFlag.insert(rating=member.id, rules="network_burst", reason=reason, created_at=clock.now())
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if not inserted:
            continue
        Rating.update(excluded=True, excluded_reason=PENDING_PREFIX + FLAG_RULES["network_burst"]).where(
            Rating.id == member.id
        ).execute()
        AuditLog.record("system", "rating.flag", f"rating:{member.id}", rules=["network_burst"])
        UpstreamPush.queue_change(member.id, area)


_KIND_WORDS = {"openid": "微信", "phone": "手机号", "device": "设备"}

# What the citizen is told when a rating is kept but held: calm, no accusation.
HELD_NOTICE = "您的评价已收到。为确保评价真实有效，本条评价将在核实后计入统计结果，您无需再做任何操作。感谢您的参与！"


def _rater_identities(req) -> list[tuple[str, str]]:
    """(kind, value) pairs that could tie the rater to a staff member."""

    found = []
    ref = req.rater_ref or ""
    if ref.startswith("wx:"):
        found.append(("openid", ref[3:]))
    if ref.startswith("device:") and ref.count(":") >= 2:
        found.append(("device", ref.split(":", 2)[2]))
    phones = {normalize_phone(req.rater_phone)} if getattr(req, "rater_phone", None) else set()
    if req.case is not None and req.channel in PHONE_CHANNELS and req.case.applicant_phone:
        phones.add(normalize_phone(req.case.applicant_phone))
    found += [("phone", phone_hash(phone)) for phone in phones if phone]
    return found


def _address(value):
    if not value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _in_network(address, cidr: str) -> bool:
    try:
        return address in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def burst_count_args(rating: Rating, rules) -> tuple | None:
    """The arguments of `Rating.recent_count` for this rating's burst count, or None when the
    rule counts nothing for it. The rating core passes them to its INSERT (one statement)."""
    if not rating.rater_ref or rating.channel == "paper" or rating.rater_ref.startswith(SINGLE_USE_RATERS):
        return None
    since = rating.created_at - dt.timedelta(minutes=rules.burst_minutes)
    # A department key without a device id rates from every tablet: count per window.
    per_window = rating.rater_ref.startswith("device:")
    return (
        rating.rater_ref,
        rating.level,
        since,
        rating.created_at,
        per_window,
        rating.window_id,
        rules.burst_count + 1,
    )


def _burst_size(rating: Rating, rules) -> int:
    """How many ratings of this level this rater gave in the burst window, this one
    included — counted up to one past the limit, which is all the rule needs."""
    if not rating.rater_ref or rating.channel == "paper":
        return 0
    if rating.rater_ref.startswith(SINGLE_USE_RATERS):
        return 1  # one invitation rates one case once: nothing to count (a round trip per SMS reply saved)
    return Rating.recent_count(*burst_count_args(rating, rules))


def _flag(rating: Rating, found: dict[str, str]) -> RatingFlag:
    names = "、".join(FLAG_RULES[code] for code in found)
    if not rating.excluded:
        rating.excluded = True
        rating.excluded_reason = PENDING_PREFIX + names
        rating.save(only=[Rating.excluded, Rating.excluded_reason])
    flag = RatingFlag.create(rating=rating, rules=",".join(found), reason="；".join(found.values()))
    AuditLog.record("system", "rating.flag", f"rating:{rating.id}", rules=list(found))
    log.info("rating %s flagged: %s", rating.id, ",".join(found))
    return flag


# -- the review ------------------------------------------------------------------


REVIEW_DECISIONS = ("genuine", "rejected")


def review(flag: RatingFlag, user, decision: str, note: str) -> RatingFlag:
    """The bureau's verdict on a pending flag; audited. Raises ApiError on bad input."""
    note = (note or "").strip()
    if decision not in REVIEW_DECISIONS:
        error("invalid_decision", "请选择“确认有效”或“确认刷评”", 422)
    if decision == "rejected" and not note:
        error("missing_note", "确认刷评须填写审核意见", 422)
    if len(note) > 500:
        error("note_too_long", "审核意见不能超过 500 字", 422)
    with db.atomic():
        claimed = (
            RatingFlag.update(
                review_state=decision, reviewed_by=user, reviewed_at=clock.now(), review_note=note or None
            )
            .where((RatingFlag.id == flag.id) & (RatingFlag.review_state == "pending"))
            .execute()
        )
        if claimed != 1:
            error("already_reviewed", "该评价已审核过", 409)
        rating = Rating.get_by_id(flag.rating_id)
        still_ours = rating.excluded and (rating.excluded_reason or "").startswith(PENDING_PREFIX)
        if still_ours and decision == "genuine":
            # It counts again — unless something else (an approved appeal) excluded it meanwhile.
            Rating.update(excluded=False, excluded_reason=None).where(Rating.id == rating.id).execute()
        elif still_ours:
            Rating.update(excluded_reason=REJECTED_PREFIX + note).where(Rating.id == rating.id).execute()
        if still_ours:
            # The city holds it as pushed (held: effective 0 "待审核"): the verdict follows, once.
            UpstreamPush.queue_change(rating.id, current_settings().upstream.area_code)
        AuditLog.record(
            f"user:{user.username}",
            f"rating.flag_{decision}",
            f"rating:{rating.id}",
            rules=flag.rule_codes,
            note=note,
        )
    return RatingFlag.get_by_id(flag.id)


# -- the staff-identity registry ---------------------------------------------------

_OPENID = re.compile(r"^[A-Za-z0-9_\-]{6,64}$")
_DEVICE = re.compile(r"^[\w\-.:]{1,40}$")


def register_identity(staff, kind: str, raw: str, note: str, user) -> StaffIdentity:
    """Register a staff member's openid, phone, device or network; audited. Raises ApiError."""
    raw, note = (raw or "").strip(), (note or "").strip()[:100]
    if kind not in IDENTITY_KINDS:
        error("invalid_kind", "请选择登记类型", 422)
    if kind == "openid":
        if not _OPENID.match(raw):
            error("invalid_value", "openid 应为 6–64 位字母、数字、- 或 _", 422)
        value, shown = raw, raw
    elif kind == "phone":
        phone = normalize_phone(raw)
        if phone is None:
            error("invalid_value", "手机号码格式不正确", 422)
        value, shown = phone_hash(phone), mask_phone(phone)
    elif kind == "device":
        if not _DEVICE.match(raw):
            error("invalid_value", "设备编号应为 1–40 位字母、数字或 -_.:", 422)
        value, shown = raw, raw
    else:
        try:
            network = ipaddress.ip_network(raw, strict=False)
        except ValueError:
            error("invalid_value", "网络应为 IP 地址或网段，如 10.12.0.0/16", 422)
        if network.prefixlen < (16 if network.version == 4 else 48):
            error("invalid_value", "网段过大（IPv4 最大 /16，IPv6 最大 /48）", 422)
        value = shown = str(network)
    if StaffIdentity.get_or_none((StaffIdentity.kind == kind) & (StaffIdentity.value == value)):
        error("already_registered", "该标识已登记", 409)
    with db.atomic():
        row = StaffIdentity.create(staff=staff, kind=kind, value=value, shown=shown, note=note, created_by=user)
        cache.clear_all()  # this process screens with it at once, the others within REGISTRY_TTL
        AuditLog.record(f"user:{user.username}", "staff_identity.create", f"staff:{staff.code}", kind=kind, shown=shown)
    return row


def remove_identity(row: StaffIdentity, user) -> None:
    with db.atomic():
        StaffIdentity.delete().where(StaffIdentity.id == row.id).execute()
        cache.clear_all()
        AuditLog.record(
            f"user:{user.username}", "staff_identity.delete", f"staff:{row.staff.code}", kind=row.kind, shown=row.shown
        )
