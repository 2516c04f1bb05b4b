"""The rating conversation: the answer to an invitation (or its reminder, or a
clarification), and after a 差评 the citizen's reason.

Nothing is attached to a case by guess: when one phone has several open
invitations, the bot asks back with lettered choices ("A5"), and asks back at
most once per prompt (never a loop).
"""

import datetime as dt

from core import clock
from core.config import current_settings
from core.crypto import phone_hash
from core.errors import ApiError
from models import Case
from models import Invitation
from models import Outbox
from models import Rating
from models.sms import SmsMessage
from ratings.core import RatingRequest

from .. import texts
from ..batch import Incoming
from ..batch import Outcome
from ..parser import Reply

CHOICE_KEYS = "ABCDE"
# How long after a 差评 a free-text reply is still taken as its reason.
REASON_DAYS = 7


def rating_reply(incoming: Incoming, prompt: SmsMessage) -> Outcome:
    context = prompt.data
    choices = context.get("choices") or {}
    reply = incoming.parsed(frozenset(choices))
    candidates = incoming.batch.open_invitations(incoming.phone)
    if prompt.purpose == "clarify":
        return _after_clarify(incoming, prompt, reply, candidates, context)
    if reply.kind != "rating":
        return _clarify(incoming, prompt, candidates, None, None, reply)
    if not candidates:
        return late_reply(incoming)
    if len(candidates) == 1:
        return rate(incoming, candidates[0], reply.level, reply.comment)
    return _clarify(incoming, prompt, candidates, reply.level, reply.comment)


def _after_clarify(incoming, prompt, reply: Reply, candidates, context) -> Outcome:
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


def _clarify(incoming, prompt, candidates, level, comment, reply: Reply | None = None) -> tuple[str, str | None]:
    """Ask back once per prompt; several open cases get lettered choices. Two candidate
    levels ("4或5") are asked back by name, never rated."""
    if len(candidates) > 1:
        listed = candidates[: len(CHOICE_KEYS)]
        choices = {key: inv.id for key, inv in zip(CHOICE_KEYS, listed, strict=False)}
        labels = [(key, _label(inv)) for key, inv in zip(CHOICE_KEYS, listed, strict=False)]
        context = {"choices": choices, "level": level, "comment": comment}
        text = texts.choose(labels, level)
    elif candidates:
        ambiguous = reply is not None and reply.kind == "ambiguous"
        context, text = {"choices": {}}, texts.ambiguous(reply.candidates) if ambiguous else texts.UNCLEAR
    else:
        return late_reply(incoming)
    incoming.say(f"clarify:{prompt.id}", text, purpose="clarify", ref=prompt.ref, context=context)
    return "clarified", None


def _label(invitation: Invitation) -> str:
    done = invitation.case.completed_at
    return f"{texts.short(invitation.case.item.name, 14)}（{done.month}月{done.day}日办结）"


def rate(incoming: Incoming, invitation: Invitation, level: int, comment: str | None) -> Outcome:
    """Rate the invitation's case, with the batch's other ratings (sms/batch.py): returns the
    reply's outcome, pending until the batch is flushed."""
    settings = current_settings()
    case = invitation.case
    if comment:
        comment = comment[: settings.ratings.comment_max_length]
    request = RatingRequest(
        level=level,
        channel="sms",
        case=case,
        labels=[],
        comment=comment,
        rater_ref=f"sms:{invitation.id}",
    )
    return incoming.batch.rate(request, lambda result: _rated(incoming, invitation, level, result))


def _rated(incoming: Incoming, invitation: Invitation, level: int, result) -> tuple[str, str | None]:
    """The rest of the reply, once its rating is stored or refused."""
    if isinstance(result, ApiError):
        SmsMessage.close_prompts(incoming.phone, ref=f"invitation:{invitation.id}")
        if result.code == "already_rated":
            incoming.say(f"already:{invitation.id}", texts.ALREADY_RATED)
            return "already_rated", None
        if result.code == "rating_expired":
            Invitation.update(state="expired").where(Invitation.id == invitation.id).execute()
            incoming.say(f"expired:{invitation.id}", texts.EXPIRED)
            return "expired", None
        if result.code == "staff_cannot_rate_own_case":
            return "refused", result.message  # a staff member rating their own case: stored nowhere, no reply
        raise result
    incoming.batch.close_rated(incoming.phone, f"invitation:{invitation.id}")  # rate() ends the reply
    rating, ticket = result.rating, result.ticket
    if ticket is not None:
        due = ticket.due_at
        department = incoming.batch.department_name(invitation.case.department_id)
        text = texts.bad_review_ack(level, department, f"{due.year}年{due.month}月{due.day}日")
        incoming.say(
            f"ack:{rating.id}",
            text,
            purpose="bad_review_ack",
            ref=f"rating:{rating.id}",
            context={"rating_id": rating.id},
        )
    else:
        incoming.say(f"thanks:{rating.id}", texts.thanks(level))
    return "rated", f"rating {rating.id}"


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
    incoming.say(f"reason:{rating.id}", texts.reason_received(rating.department.name))
    return "reason", f"rating {rating.id}"


def reason_reply(incoming: Incoming, prompt: SmsMessage) -> Outcome:
    reply = incoming.parsed()
    rating = Rating.get_or_none(Rating.id == prompt.data.get("rating_id"))
    if reply.kind == "rating" and reply.comment is None and incoming.batch.open_invitations(incoming.phone):
        # A bare "5" after the acknowledgement rates the next open case, it is no reason.
        SmsMessage.close_prompts(incoming.phone, purposes=("bad_review_ack",))
        for other in SmsMessage.open_prompts(incoming.phone):
            if other.purpose in ("invite", "reminder", "clarify"):
                return rating_reply(incoming, other)
    SmsMessage.close_prompts(incoming.phone, purposes=("bad_review_ack",), ref=prompt.ref)
    if rating is None or reason_taken(rating.id):
        return "ignored", None
    return _take_reason(incoming, rating)


def late_reply(incoming: Incoming) -> tuple[str, str | None]:
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
        incoming.say(f"already:{last.id}", texts.ALREADY_RATED)
        return "already_rated", None
    window = current_settings().ratings.rating_window_days
    if last.state == "expired" or last.case.completed_at + dt.timedelta(days=window) <= clock.now():
        incoming.say(f"expired:{last.id}", texts.EXPIRED)
        return "expired", None
    return "no_conversation", None
