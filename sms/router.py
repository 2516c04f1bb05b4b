"""Replies: which conversation an incoming SMS answers, and what it does.

A reply answers the newest open prompt sent to that phone (an invitation, a
reminder, a clarification, the 差评 acknowledgement, a 回访 question…),
dispatched by the prompt's purpose to a handler in `HANDLERS`. Other areas
plug in a conversation with `register("followup", handler)`; a prompt whose
purpose has no handler is passed over.

Nothing is attached to a case by guess: when one phone has several open
invitations, the bot asks back with lettered choices ("A5"), and asks back
at most once per prompt (never a loop).
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from peewee import chunked

from core import clock
from core.config import current_settings
from core.crypto import phone_hash
from core.errors import ApiError
from edge.limits import allow
from models import Case
from models import Invitation
from models import OptOut
from models import Outbox
from models import Rating
from models.sms import SmsMessage
from ratings.core import RatingRequest
from ratings.core import submit_rating

from . import texts
from .chunk import current
from .parser import Reply
from .parser import parse_reply

log = logging.getLogger(__name__)

CHOICE_KEYS = "ABCDE"
# How long after a 差评 a free-text reply is still taken as its reason.
REASON_DAYS = 7


@dataclass
class Incoming:
    inbox_id: int
    phone: str
    text: str


Handler = Callable[[Incoming, SmsMessage], tuple[str, str | None]]
HANDLERS: dict[str, Handler] = {}


def register(purpose: str, handler: Handler) -> None:
    """Route replies to prompts of `purpose` to `handler(incoming, prompt) -> (outcome, detail)`."""
    HANDLERS[purpose] = handler


def handle_reply(inbox_id: int, phone: str, text: str) -> tuple[str, str | None]:
    incoming = Incoming(inbox_id, phone, text)
    if parse_reply(text).kind == "opt_out":
        return opt_out(phone)
    if not _allowed(incoming):
        return "rate_limited", "该号码回复过于频繁，本条未处理"  # a reply loop or a flood: no answer either
    chunk = current()
    prompts = chunk.prompts(phone_hash(phone)) if chunk else None
    for prompt in SmsMessage.open_prompts(phone) if prompts is None else prompts:
        handler = HANDLERS.get(prompt.purpose)
        if handler is not None:
            return handler(incoming, prompt)
    return _late_reply(incoming)


def _allowed(incoming: Incoming) -> bool:
    """The per-phone reply limit, counted once per stored callback (see sms/chunk.py)."""
    chunk = current()
    if chunk is None:
        return allow("sms_phone", phone_hash(incoming.phone))
    if incoming.inbox_id not in chunk.decisions:
        chunk.decisions[incoming.inbox_id] = allow("sms_phone", phone_hash(incoming.phone))
    return chunk.decisions[incoming.inbox_id]


def say(incoming: Incoming, key: str, text: str, purpose: str = "reply", ref=None, context=None) -> None:
    """Queue an SMS to the citizen in the current transaction."""
    payload = {"phone": incoming.phone, "text": text, "purpose": purpose, "ref": ref}
    if context:
        payload["context"] = context
    chunk = current()
    if chunk is not None and chunk.batched:
        chunk.put("sms.message", f"sms:{key}", payload)
    else:
        Outbox.put("sms.message", f"sms:{key}", payload)


def opt_out(phone: str) -> tuple[str, str | None]:
    OptOut.insert(phone=phone, source="sms", created_at=clock.now()).on_conflict_ignore().execute()
    cases = Case.of_phone(phone).select(Case.id)
    Invitation.update(state="cancelled", error_code="opted_out", error_message="该号码已回复退订").where(
        (Invitation.state == "scheduled") & Invitation.case.in_(cases)
    ).execute()
    # Invitations already received stay answerable: opting out stops new SMS, not ratings.
    return "opted_out", None


def open_invitations(phone: str) -> list[Invitation]:
    """Invitations this phone received that can still be answered, newest first."""
    chunk = current()
    found = chunk.invitations(phone_hash(phone)) if chunk else None
    if found is not None:
        return found
    return list(_open_invitations(Case.applicant_phone_hash == phone_hash(phone)))


def open_invitations_by_phone(hashes: list[str]) -> dict[str, list[Invitation]]:
    """{phone hash: its open invitations, newest first} for many phones in one query."""
    found: dict[str, list[Invitation]] = {h: [] for h in hashes}
    for part in chunked(hashes, 500):
        for invitation in _open_invitations(Case.applicant_phone_hash.in_(part)):
            found[invitation.case.applicant_phone_hash].append(invitation)
    return found


def _open_invitations(phones):
    window = current_settings().ratings.rating_window_days
    return (
        Invitation.select(Invitation, Case)
        .join(Case)
        .where(
            phones
            & (Invitation.channel == "sms")
            & Invitation.state.in_(("sent", "delivered", "failed"))
            & Invitation.sent_at.is_null(False)
            & (Case.completed_at > clock.now() - dt.timedelta(days=window))
        )
        .order_by(Invitation.sent_at.desc(), Invitation.id.desc())
    )


# -- the rating conversation ----------------------------------------------------


def rating_reply(incoming: Incoming, prompt: SmsMessage) -> tuple[str, str | None]:
    context = prompt.data
    choices = context.get("choices") or {}
    reply = parse_reply(incoming.text, frozenset(choices))
    candidates = open_invitations(incoming.phone)
    if prompt.purpose == "clarify":
        return _after_clarify(incoming, prompt, reply, candidates, context)
    if reply.kind != "rating":
        return _clarify(incoming, prompt, candidates, None, None)
    if not candidates:
        return _late_reply(incoming)
    if len(candidates) == 1:
        return rate(incoming, candidates[0], reply.level, reply.comment)
    return _clarify(incoming, prompt, candidates, reply.level, reply.comment)


def _after_clarify(incoming, prompt, reply: Reply, candidates, context) -> tuple[str, str | None]:
    choices = context.get("choices") or {}
    level = reply.level or context.get("level")
    comment = reply.comment or context.get("comment")
    if reply.key and level:
        invitation = Invitation.get_or_none(Invitation.id == choices[reply.key])
        if invitation is not None:
            return rate(incoming, invitation, level, comment)
    if reply.kind == "rating" and reply.level and not reply.key and len(candidates) == 1:
        return rate(incoming, candidates[0], reply.level, reply.comment)
    # Asked once already: no second question; staff see the reply.
    SmsMessage.close_prompts(incoming.phone, purposes=("clarify",))
    return "unclear", "追问后仍无法识别"


def _clarify(incoming, prompt, candidates, level, comment) -> tuple[str, str | None]:
    """Ask back once per prompt; several open cases get lettered choices."""
    if len(candidates) > 1:
        listed = candidates[: len(CHOICE_KEYS)]
        choices = {key: inv.id for key, inv in zip(CHOICE_KEYS, listed, strict=False)}
        labels = [(key, _label(inv)) for key, inv in zip(CHOICE_KEYS, listed, strict=False)]
        context = {"choices": choices, "level": level, "comment": comment}
        text = texts.choose(labels, level)
    elif candidates:
        context, text = {"choices": {}}, texts.UNCLEAR
    else:
        return _late_reply(incoming)
    say(incoming, f"clarify:{prompt.id}", text, purpose="clarify", ref=prompt.ref, context=context)
    return "clarified", None


def _label(invitation: Invitation) -> str:
    done = invitation.case.completed_at
    return f"{texts.short(invitation.case.item.name, 14)}（{done.month}月{done.day}日办结）"


def rate(incoming: Incoming, invitation: Invitation, level: int, comment: str | None) -> tuple[str, str | None]:
    settings = current_settings()
    case = invitation.case
    if comment:
        comment = comment[: settings.ratings.comment_max_length]
    try:
        result = submit_rating(
            RatingRequest(
                level=level,
                channel="sms",
                case=case,
                labels=[],
                comment=comment,
                rater_ref=f"sms:{invitation.id}",
            )
        )
    except ApiError as exc:
        SmsMessage.close_prompts(incoming.phone, ref=f"invitation:{invitation.id}")
        if exc.code == "already_rated":
            say(incoming, f"already:{invitation.id}", texts.ALREADY_RATED)
            return "already_rated", None
        if exc.code == "rating_expired":
            Invitation.update(state="expired").where(Invitation.id == invitation.id).execute()
            say(incoming, f"expired:{invitation.id}", texts.EXPIRED)
            return "expired", None
        if exc.code == "staff_cannot_rate_own_case":
            return "refused", exc.message  # a staff member rating their own case: stored nowhere, no reply
        raise
    _close_rated(incoming, invitation)
    rating, ticket = result.rating, result.ticket
    if ticket is not None:
        due = ticket.due_at
        text = texts.bad_review_ack(level, case.department.name, f"{due.year}年{due.month}月{due.day}日")
        say(
            incoming,
            f"ack:{rating.id}",
            text,
            purpose="bad_review_ack",
            ref=f"rating:{rating.id}",
            context={"rating_id": rating.id},
        )
    else:
        say(incoming, f"thanks:{rating.id}", texts.thanks(level))
    return "rated", f"rating {rating.id}"


def _close_rated(incoming: Incoming, invitation: Invitation) -> None:
    """The conversation about a rated invitation is over: its prompts and any clarification."""
    chunk = current()
    if chunk is not None and chunk.batched:
        chunk.close_rated(phone_hash(incoming.phone), f"invitation:{invitation.id}")  # rate() ends the reply
        return
    SmsMessage.close_prompts(incoming.phone, ref=f"invitation:{invitation.id}")
    SmsMessage.close_prompts(incoming.phone, purposes=("clarify",))


# -- after a 差评: the next free text is the reason -------------------------------


def add_reason(rating: Rating, text: str) -> None:
    """Keep the citizen's reason on the rating: its comment, or appended to it."""
    limit = current_settings().ratings.comment_max_length
    text = text.strip()
    comment = f"{rating.comment}\n补充：{text}" if rating.comment else text
    Rating.update(comment=comment[:limit]).where(Rating.id == rating.id).execute()


def reason_taken(rating_id: int) -> bool:
    return Outbox.select().where(Outbox.dedupe_key == f"sms:reason:{rating_id}").exists()


def _awaits_reason(rating: Rating | None, invitation: Invitation) -> bool:
    return (
        rating is not None
        and rating.is_bad
        and rating.rater_ref == f"sms:{invitation.id}"
        and rating.created_at > clock.now() - dt.timedelta(days=REASON_DAYS)
        and not reason_taken(rating.id)
    )


def _take_reason(incoming: Incoming, rating: Rating) -> tuple[str, str | None]:
    text = incoming.text.strip()
    if not text:
        return "ignored", None
    add_reason(rating, text)
    say(incoming, f"reason:{rating.id}", texts.reason_received(rating.department.name))
    return "reason", f"rating {rating.id}"


def reason_reply(incoming: Incoming, prompt: SmsMessage) -> tuple[str, str | None]:
    reply = parse_reply(incoming.text)
    rating = Rating.get_or_none(Rating.id == prompt.data.get("rating_id"))
    if reply.kind == "rating" and reply.comment is None and open_invitations(incoming.phone):
        # A bare "5" after the acknowledgement rates the next open case, it is no reason.
        SmsMessage.close_prompts(incoming.phone, purposes=("bad_review_ack",))
        for other in SmsMessage.open_prompts(incoming.phone):
            if other.purpose in ("invite", "reminder", "clarify"):
                return rating_reply(incoming, other)
    SmsMessage.close_prompts(incoming.phone, purposes=("bad_review_ack",), ref=prompt.ref)
    if rating is None or reason_taken(rating.id):
        return "ignored", None
    return _take_reason(incoming, rating)


def _late_reply(incoming: Incoming) -> tuple[str, str | None]:
    """No open conversation: a polite answer once per invitation, else silence."""
    last = (
        Invitation.select(Invitation, Case)
        .join(Case)
        .where((Case.applicant_phone_hash == phone_hash(incoming.phone)) & Invitation.sent_at.is_null(False))
        .order_by(Invitation.sent_at.desc())
        .first()
    )
    if last is None:
        return "no_conversation", None
    rating = Rating.first_for_case(last.case)
    if _awaits_reason(rating, last):
        # The 差评 acknowledgement is still queued (quiet hours): this is the reason.
        return _take_reason(incoming, rating)
    if last.state == "rated" or rating is not None:
        say(incoming, f"already:{last.id}", texts.ALREADY_RATED)
        return "already_rated", None
    window = current_settings().ratings.rating_window_days
    if last.state == "expired" or last.case.completed_at + dt.timedelta(days=window) <= clock.now():
        say(incoming, f"expired:{last.id}", texts.EXPIRED)
        return "expired", None
    return "no_conversation", None


register("invite", rating_reply)
register("reminder", rating_reply)
register("clarify", rating_reply)
register("bad_review_ack", reason_reply)

# Conversations of other areas, registered on import.
from . import followup  # noqa: E402,F401
