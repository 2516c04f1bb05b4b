"""How a case looks to its department's business system."""

from core import clock
from models import Case
from models import Invitation
from models import Rating
from models import Ticket


def case_view(case: Case) -> dict:
    invitation = Invitation.for_case(case)
    rating = Rating.first_for_case(case)
    ticket = Ticket.for_rating(rating) if rating is not None and rating.is_bad else None
    return {
        "case_no": case.case_no,
        "status": case.status,
        "item_code": case.item.code,
        "accepted_at": clock.iso(case.accepted_at),
        "completed_at": clock.iso(case.completed_at),
        "invitation": None
        if invitation is None
        else {"state": invitation.state, "channel": invitation.channel, "sent_at": clock.iso(invitation.sent_at)},
        "rating": None
        if rating is None
        else {
            "level": rating.level,
            "channel": rating.channel,
            "labels": rating.label_codes,
            "comment": rating.comment,
            "created_at": clock.iso(rating.created_at),
            "is_bad": rating.is_bad,
            "excluded": rating.excluded,
        },
        "ticket": None
        if ticket is None
        else {"ticket_no": ticket.ticket_no, "state": ticket.state, "due_at": clock.iso(ticket.due_at)},
    }
