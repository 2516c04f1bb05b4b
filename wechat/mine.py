"""`ratings/mine`: a citizen's ratings, with the progress of each bad review."""

from core import clock
from models import LEVEL_NAMES
from models import TICKET_STATES
from models import Label
from models import LabelSet
from models import Rating
from models import Ticket
from models.rating import ADDENDUM

LIMIT = 100


def ratings_of(rater_ref: str) -> list[dict]:
    newest_first = (Rating.created_at.desc(), Rating.id.desc())
    ratings = list(Rating.select().where(Rating.rater_ref == rater_ref).order_by(*newest_first).limit(LIMIT))
    tickets = {}
    if ratings:
        tickets = {t.rating_id: t for t in Ticket.select().where(Ticket.rating.in_([r.id for r in ratings]))}
    texts = _label_texts({r.label_version for r in ratings})
    return [_view(rating, tickets.get(rating.id), texts) for rating in ratings]


def _label_texts(versions: set) -> dict:
    if not versions:
        return {}
    query = Label.select(Label, LabelSet).join(LabelSet).where(LabelSet.version.in_(list(versions)))
    return {(label.label_set.version, label.code): label.text for label in query}


def _view(rating: Rating, ticket, texts: dict) -> dict:
    return {
        "rating_id": rating.id,
        "level": rating.level,
        "level_name": LEVEL_NAMES[rating.level],
        "labels": [
            {"code": code, "text": texts.get((rating.label_version, code), code)} for code in rating.label_codes
        ],
        "comment": rating.comment,
        "addendum": rating.sequence == ADDENDUM,
        "followup": rating.sequence == ADDENDUM,  # deprecated name of "addendum"
        "created_at": clock.iso(rating.created_at),
        "is_bad": rating.is_bad,
        "target": {
            "item": rating.item.name if rating.item_id else None,
            "department": rating.department.name,
            "window": rating.window.name if rating.window_id else None,
            "staff": rating.staff.name if rating.staff_id else None,
        },
        "ticket": None if ticket is None else ticket_view(ticket),
    }


def ticket_view(ticket) -> dict:
    return {
        "ticket_no": ticket.ticket_no,
        "state": ticket.state,
        "state_name": TICKET_STATES.get(ticket.state, ticket.state),
        "department": ticket.department.name,
        "due_at": clock.iso(ticket.due_at),
        "reply": None
        if not ticket.reply_text or ticket.replied_at is None
        else {"text": ticket.reply_text, "replied_at": clock.iso(ticket.replied_at)},
    }
