"""`ratings/mine`: a citizen's ratings, with the progress of each bad review."""

import datetime as dt

from core import clock
from core.config import current_settings
from models import LEVEL_NAMES
from models import TICKET_STATES
from models import Case
from models import Label
from models import LabelSet
from models import Rating
from models import Ticket
from models.rating import ADDENDUM
from models.rating import FIRST

LIMIT = 100


def ratings_of(rater_ref: str) -> list[dict]:
    newest_first = (Rating.created_at.desc(), Rating.id.desc())
    ratings = list(Rating.select().where(Rating.rater_ref == rater_ref).order_by(*newest_first).limit(LIMIT))
    tickets = {}
    if ratings:
        tickets = {t.rating_id: t for t in Ticket.select().where(Ticket.rating.in_([r.id for r in ratings]))}
    texts = _label_texts({r.label_version for r in ratings})
    cases = _cases({r.case_id for r in ratings if r.case_id})
    return [_view(rating, tickets.get(rating.id), texts, cases) for rating in ratings]


def _label_texts(versions: set) -> dict:
    if not versions:
        return {}
    query = Label.select(Label, LabelSet).join(LabelSet).where(LabelSet.version.in_(list(versions)))
    return {(label.label_set.version, label.code): label.text for label in query}


def _cases(ids: set) -> dict:
    """{case id: (case, has a 追评)} of the rated cases, in two queries."""
    if not ids:
        return {}
    addenda = Rating.select(Rating.case).where(Rating.case.in_(list(ids)) & (Rating.sequence == ADDENDUM))
    followed = {rating.case_id for rating in addenda}
    return {case.id: (case, case.id in followed) for case in Case.select().where(Case.id.in_(list(ids)))}


def _view(rating: Rating, ticket, texts: dict, cases: dict) -> dict:
    case, followed = cases.get(rating.case_id, (None, False))
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
        # The mini program's 追评 entry: the case's rating code (the caller rated
        # with it, so it tells them nothing new) and until when the rating core
        # accepts a 追评 of it; null for an on-site rating or once none is possible.
        "code": case.rating_code if case is not None else None,
        "addendum_until": _addendum_until(rating, case, followed),
    }


def _addendum_until(rating: Rating, case, followed: bool) -> str | None:
    """The rating core's two windows for a 追评 (ratings/core.py): `addendum_days`
    after the first rating, and `rating_window_days` after the case's completion."""
    if case is None or rating.sequence != FIRST or followed:
        return None
    rules = current_settings().ratings
    until = rating.created_at + dt.timedelta(days=rules.addendum_days)
    if case.completed_at is not None:
        until = min(until, case.completed_at + dt.timedelta(days=rules.rating_window_days))
    return clock.iso(until) if clock.now() <= until else None


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
