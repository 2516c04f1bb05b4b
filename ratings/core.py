"""The rating core: the one function through which every channel rates.

Channels (business-system API, mini program, H5 pages, SMS replies, tablets,
paper forms) only translate their input into a `RatingRequest`; the rules live
here, in one transaction:

- level 1..5 (5 best) and label codes valid for that level in the current
  dictionary version;
- one first rating per case from any channel, plus at most one 追评 by the
  first rater — enforced by a unique index, so two simultaneous submissions
  give one success and one `already_rated`;
- case-less on-site ratings limited per rater, window and day (a unique slot),
  and bound to the client's network and the window's pace (`ratings/onsite.py`):
  over those limits they are kept but held for the bureau's review;
- a level 1–2 rating is a 差评: a ticket goes to the handling department with
  its deadline, and every rating gets its upstream outbox row.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from peewee import IntegrityError

from core import clock
from core.config import current_settings
from core.errors import error
from models import CHANNELS
from models import Case
from models import Invitation
from models import LabelSet
from models import Rating
from models import Staff
from models import Ticket
from models import Window
from models import db
from models.db import insert_row
from models.label import BAD_LEVELS
from models.rating import ADDENDUM
from models.rating import DEFAULT_CHANNEL
from models.rating import DEVICE_CHANNELS
from models.rating import FIRST
from models.upstream import queue_first_push
from rectification.tickets import open_ticket

from . import fraud
from . import onsite

log = logging.getLogger(__name__)

MAX_LABELS = 10


@dataclass
class RatingRequest:
    level: object
    channel: str
    labels: object = ()
    comment: object = None
    case: Case | None = None
    window: Window | None = None
    staff: Staff | None = None
    rater_ref: str | None = None
    addendum: bool = False  # 追评
    # For fraud screening only (never stored): the client's address on the
    # citizen-facing pages, and a phone the rater left (the window QR page).
    client_ip: str | None = None
    rater_phone: str | None = None


@dataclass
class RatingResult:
    rating: Rating
    ticket: Ticket | None

    @property
    def held(self) -> bool:
        """Kept, but left out of the figures until the bureau's review (a new rating is
        excluded for nothing else)."""
        return bool(self.rating.excluded)

    def to_dict(self) -> dict:
        body = {"rating_id": self.rating.id, "is_bad": self.rating.is_bad, "held": self.held}
        if self.held:
            body["notice"] = fraud.HELD_NOTICE
        if self.ticket is not None:
            body["ticket_no"] = self.ticket.ticket_no
        return body


def submit_rating(req: RatingRequest) -> RatingResult:
    """Validate, store and fan out one rating; raises `ApiError` on refusal.

    Many first ratings of cases at once (the SMS inbox's chunk): `ratings.batch`, the same
    steps set-based — `new_rating`, then the store, then `fan_out` per rating."""
    settings = current_settings()
    rating = new_rating(req, settings)  # the input checked before the transaction (SQLite: its writer lock)
    with db.atomic():
        rating.created_at = clock.now()  # stamped inside it: in the order ratings commit
        holds: dict[str, str] = {}
        if req.case is not None:
            _save_case_rating(rating, req, settings.ratings)
        else:
            holds = _save_onsite_rating(rating, req, settings)
        ticket = fan_out(rating, req, settings, holds)
        queue_first_push(rating.id, rating.created_at)
    log_stored(rating)
    return RatingResult(rating, ticket)


def new_rating(req: RatingRequest, settings) -> Rating:
    """The rating a request asks for, its input checked; not stored (raises `ApiError`)."""
    level = _valid_level(req.level)
    if req.channel not in CHANNELS:
        error("invalid_channel", f"不支持的评价渠道：{req.channel}", 422)
    label_set, codes = LabelSet.current_cached()
    if label_set is None:
        error("no_label_dictionary", "评价标签字典尚未配置", 409)
    labels = _valid_labels(req.labels, level, label_set.version, codes)
    comment = _valid_comment(req.comment, settings.ratings.comment_max_length)
    return Rating(
        level=level,
        labels=",".join(labels),
        label_version=label_set.version,
        comment=comment,
        channel=req.channel,
        rater_ref=req.rater_ref,
        is_bad=level in BAD_LEVELS,
        created_at=clock.now(),
    )


def fan_out(rating: Rating, req: RatingRequest, settings, holds: dict | None = None) -> Ticket | None:
    """What follows a stored rating in its transaction, but for its upstream outbox row:
    the fraud screen (refuses a staff member's rating of their own work, flags suspicious
    ones for review, with the on-site patterns `holds` found on the way in), and the
    差评's ticket. A system default rating (ratings/defaults.py) has no rater to screen."""
    if req.channel != DEFAULT_CHANNEL:
        fraud.screen(rating, req, settings.fraud, holds or {})
    return _open_ticket(rating, settings.rectification) if rating.is_bad else None


def log_stored(rating: Rating) -> None:
    # A 差评 (a ticket opened) is news for the operators; every other rating is in the database
    # and in /metrics, and an INFO line each was a tenth of the endpoint's time.
    log.log(
        logging.INFO if rating.is_bad else logging.DEBUG,
        "rating %s stored: channel=%s level=%s bad=%s",
        rating.id,
        rating.channel,
        rating.level,
        rating.is_bad,
    )


def already_rated() -> None:
    error("already_rated", "该办件已经评价过了，感谢您的参与", 409)


def _valid_level(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        error("invalid_level", "评价等级必须是 1 到 5 的整数（5 为非常满意）", 422)
    return value


def _valid_labels(value, level: int, version: str, codes_by_level: dict) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(code, str) for code in value):
        error("invalid_labels", "评价标签必须是标签代码的数组", 422)
    codes = list(dict.fromkeys(value))
    if len(codes) > MAX_LABELS:
        error("invalid_labels", f"评价标签最多选择 {MAX_LABELS} 个", 422)
    allowed = codes_by_level[level]
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        error("unknown_label", f"标签 {', '.join(unknown)} 不属于该评价等级（字典版本 {version}）", 422)
    return codes


def _valid_comment(value, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        error("invalid_comment", "文字评价必须是字符串", 422)
    text = "".join(ch for ch in value if ch.isprintable() or ch in "\n").strip()
    if len(text) > max_length:
        error("comment_too_long", f"文字评价不能超过 {max_length} 字", 422)
    return text or None


def _save_case_rating(rating: Rating, req: RatingRequest, rules) -> None:
    case_fields(rating, req, rules)
    try:
        # The first write of the transaction: a refusal rolls back nothing else,
        # so no savepoint is needed (and a caller's transaction sees a savepoint
        # already: submit_rating's own atomic()).
        _insert(rating)
    except IntegrityError:
        if req.addendum:
            error("already_has_addendum", "该办件已追评过", 409)
        already_rated()
    close_invitations([req.case.id])


def case_fields(rating: Rating, req: RatingRequest, rules) -> None:
    """A case rating's units (the case's) and sequence; refuses a late rating or 追评."""
    case = req.case
    rating.case = case
    rating.department = case.department_id
    rating.hall = case.hall_id
    rating.window = case.window_id
    rating.staff = case.staff_id or (req.staff.id if req.staff else None)
    rating.item = case.item_id
    if case.completed_at and rating.created_at > case.completed_at + dt.timedelta(days=rules.rating_window_days):
        error("rating_expired", "该办件的评价期限已过", 410)
    if req.addendum:
        first = Rating.first_for_case(case)
        if first is None:
            error("not_rated_yet", "该办件尚未评价，不能追评", 409)
        if rating.created_at > first.created_at + dt.timedelta(days=rules.addendum_days):
            error("addendum_closed", f"追评须在首次评价后 {rules.addendum_days} 天内提交", 409)
        if not _first_rater(first, req):
            error(
                "not_first_rater",
                "追评只能由首次评价的本人提交：请使用首次评价时的同一微信账号、手机号或现场评价设备，或通过评价短信追评",
                403,
            )
        rating.sequence = ADDENDUM
    else:
        rating.sequence = FIRST


def close_invitations(case_ids: list[int]) -> None:
    """The invitations' work is done: no reminder for a rated case."""
    (
        Invitation.update(state="rated")
        .where(Invitation.case.in_(case_ids) & Invitation.state.in_(("scheduled", "sent", "delivered")))
        .execute()
    )


# The applicant's own phone: an SMS reply, or the page behind the link an SMS brought.
APPLICANT_CHANNELS = ("sms", "h5")


def _first_rater(first: Rating, req: RatingRequest) -> bool:
    """Whether a 追评 comes from whoever gave the first rating: the same WeChat user, the
    same device or on-site rater, or the applicant's phone (through a new SMS)."""
    if req.channel in APPLICANT_CHANNELS:
        return True
    return first.channel not in APPLICANT_CHANNELS and bool(req.rater_ref) and req.rater_ref == first.rater_ref


def _save_onsite_rating(rating: Rating, req: RatingRequest, settings) -> dict[str, str]:
    """Store a case-less on-site rating; returns the patterns it is held for ({flag rule: reason})."""
    rules = settings.ratings
    window = req.window or (req.staff.window if req.staff and req.staff.window_id else None)
    if window is None and req.staff is None:
        error("missing_target", "请提供办件编号，或被评价的窗口、工作人员", 422)
    if req.staff is not None and window is not None and req.staff.window_id not in (None, window.id):
        error("staff_not_at_window", "该工作人员不在此窗口", 422)
    rating.window = window.id if window else None
    rating.hall = window.hall_id if window else None
    rating.staff = req.staff.id if req.staff else None
    rating.department = req.staff.department_id if req.staff else window.department_id
    rating.sequence = FIRST
    if req.channel in DEVICE_CHANNELS and req.rater_ref and req.rater_ref.startswith("device:"):
        # A keyed device (tablet, kiosk, paper entry) rates for many citizens;
        # fraud patterns on devices are flagged, not capped.
        _insert(rating)
        return {}
    if not req.rater_ref:
        error("missing_rater", "现场评价需要评价人标识", 422)
    day = rating.created_at.date()
    rating.onsite_day = day
    rating.rater_network = onsite.network_of(req.client_ip)
    holds = onsite.holds(rating, settings)
    # An anonymous rater (a cookie) is bound by its network: a counted slot, or held.
    counted = rating.rater_network is not None and onsite.is_anonymous(req.rater_ref)
    limit = rules.onsite_network_daily_limit
    for attempt in range(4):
        used = Rating.onsite_count(req.rater_ref, rating.window, day)
        if used >= rules.onsite_daily_limit:
            error("rating_limit_reached", "您今天在此窗口的评价次数已达上限", 429)
        rating.onsite_slot = used + 1
        rating.network_slot = None
        if counted and not holds:
            # After two lost races for a slot (a flood at this moment), the rating is held instead:
            # what counts never exceeds the limit, and nothing is refused for it.
            rating.network_slot = onsite.network_slot(rating, limit) if attempt < 2 else None
        try:
            with db.atomic():
                _insert(rating)
        except IntegrityError:
            rating.id = None  # a concurrent rating took this slot (the rater's or the network's); count again
            continue
        if counted and not holds and rating.network_slot is None:
            holds["network_limit"] = onsite.network_limit_reason(limit)
        return holds
    error("rating_limit_reached", "您今天在此窗口的评价次数已达上限", 429)


def _insert(rating: Rating) -> None:
    """INSERT the new rating with prepared SQL (the hot path; see models.db.insert_row), and in
    the same statement the fraud screen's burst count when it will ask for one."""
    values = {name: value for name, value in rating.__data__.items() if name != "id"}
    burst = fraud.burst_count_args(rating, current_settings().fraud)
    rating.id = insert_row(Rating, values) if burst is None else Rating.insert_counting(values, burst)


def _open_ticket(rating: Rating, rect) -> Ticket:
    """谁办理、谁负责: the ticket goes to the department that handled the case."""
    return open_ticket(rating, rect)
