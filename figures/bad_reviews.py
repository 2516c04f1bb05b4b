"""The month's 差评 tickets as a list (the monthly xlsx's 差评工单 sheet): every ticket of a
差评 given in the period — first ratings and 追评, excluded ones marked — with its unit,
level, labels, state, deadline, reply and 回访 result. No personal data."""

import datetime as dt

from core import clock
from models import LEVEL_NAMES
from models import TICKET_STATES
from models import Department
from models import Label
from models import LabelSet
from models import Rating
from models import Ticket
from models.ticket import FOLLOWUP_RESULTS
from models.ticket import OPEN_STATES


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _texts() -> dict:
    """{(label version, code): text} of every dictionary version."""
    query = Label.select(LabelSet.version, Label.code, Label.text).join(LabelSet).tuples()
    return {(version, code): text for version, code, text in query}


def month_tickets(start: dt.date, end: dt.date, department_id: int | None = None) -> list[dict]:
    """[{ticket_no, department_id, department, level, labels, state, due_at, …}], oldest first."""
    query = (
        Ticket.select(Ticket, Rating, Department)
        .join(Rating, on=(Ticket.rating == Rating.id))
        .switch(Ticket)
        .join(Department, on=(Ticket.department == Department.id))
        .where((Rating.created_at >= _at(start)) & (Rating.created_at < _at(end)))
        .order_by(Rating.created_at, Ticket.id)
    )
    if department_id is not None:
        query = query.where(Ticket.department == department_id)
    texts = _texts()
    now = clock.now()
    rows = []
    for ticket in query:
        rating = ticket.rating
        rows.append(
            {
                "ticket_no": ticket.ticket_no,
                "department_id": ticket.department_id,
                "department": ticket.department.name,
                "rated_at": clock.iso(rating.created_at),
                "level": LEVEL_NAMES.get(rating.level, str(rating.level)),
                "addendum": rating.sequence != 1,
                "labels": "、".join(texts.get((rating.label_version, c), c) for c in rating.label_codes),
                "state": TICKET_STATES.get(ticket.state, ticket.state),
                "overdue": ticket.state in OPEN_STATES and ticket.due_at < now,
                "due_at": clock.iso(ticket.due_at),
                "replied_at": clock.iso(ticket.replied_at),
                "followup": FOLLOWUP_RESULTS.get(ticket.followup_result, "") if ticket.followup_result else "",
                "excluded": rating.excluded,
            }
        )
    return rows
