"""What staff and citizens see of a ticket, as plain dicts for the admin,
the mini program and the JSON API. Phones are masked; staff see only their
own department's tickets (the bureau and auditors see all)."""

from core import clock
from core.codes import mask_phone
from core.errors import error
from models import LEVEL_NAMES
from models import LedgerItem
from models import Ticket
from models.ticket import EXTENSION_STATES
from models.ticket import FOLLOWUP_CHANNELS
from models.ticket import FOLLOWUP_RESULTS
from models.ticket import LEDGER_STATES

from . import workflow
from .tickets import history


def can_view(ticket: Ticket, user) -> bool:
    if user is None or not user.active:
        return False
    return user.role in ("bureau", "auditor") or user.department_id == ticket.department_id


def visible_tickets(user):
    """The queue a user may see, most urgent first."""
    if user is None or not user.active:
        return Ticket.select().where(Ticket.id.is_null())
    if user.role in ("bureau", "auditor"):
        return Ticket.queue()
    return Ticket.queue(user.department_id)


def staff_view(ticket: Ticket, user) -> dict:
    if not can_view(ticket, user):
        error("forbidden", "无权查看该工单", 403)
    rating, case = ticket.rating, ticket.case
    return {
        "ticket_no": ticket.ticket_no,
        "state": ticket.state,
        "state_label": ticket.state_label,
        "department": {"code": ticket.department.code, "name": ticket.department.name},
        "assignee": None if ticket.assignee is None else ticket.assignee.display_name or ticket.assignee.username,
        "due_at": clock.iso(ticket.due_at),
        "due_provisional": ticket.due_provisional,
        "overdue": ticket.is_overdue,
        "rating": {
            "level": rating.level,
            "level_name": LEVEL_NAMES.get(rating.level),
            "labels": rating.label_codes,
            "comment": rating.comment,
            "channel": rating.channel,
            "created_at": clock.iso(rating.created_at),
            "excluded": rating.excluded,
            "excluded_reason": rating.excluded_reason,
        },
        "case": None
        if case is None
        else {"case_no": case.case_no, "item": case.item.name, "applicant_phone": mask_phone(case.applicant_phone)},
        "verification_call_at": clock.iso(ticket.verification_call_at),
        "on_the_spot": ticket.on_the_spot,
        "resolution_text": ticket.resolution_text,
        "resolved_at": clock.iso(ticket.resolved_at),
        "reply_text": ticket.reply_text,
        "replied_at": clock.iso(ticket.replied_at),
        "followup": None
        if ticket.followup_result is None
        else {
            "result": ticket.followup_result,
            "result_label": FOLLOWUP_RESULTS[ticket.followup_result],
            "channel_label": FOLLOWUP_CHANNELS.get(ticket.followup_channel, ""),
            "at": clock.iso(ticket.followed_up_at),
        },
        "reopen_count": ticket.reopen_count,
        "escalated_at": clock.iso(ticket.escalated_at),
        "closed_at": clock.iso(ticket.closed_at),
        "ledger": [_ledger_item(item) for item in LedgerItem.for_ticket(ticket)],
        "history": history(ticket),
        "actions": workflow.allowed_actions(ticket, user),
    }


def citizen_view(ticket: Ticket) -> dict:
    """For the citizen who rated (mini program "my ratings", the H5 page): no staff notes."""
    return {
        "ticket_no": ticket.ticket_no,
        "state": ticket.state,
        "state_label": ticket.state_label,
        "due_at": clock.iso(ticket.due_at),
        "reply_text": ticket.reply_text,
        "replied_at": clock.iso(ticket.replied_at),
        "followup_result": ticket.followup_result,
    }


def _ledger_item(item: LedgerItem) -> dict:
    return {
        "id": item.id,
        "plan": item.plan,
        "responsible": item.responsible,
        "due_on": item.due_on.isoformat(),
        "state_label": LEDGER_STATES[item.state],
        "extension": None
        if item.extension_state is None
        else {
            "state_label": EXTENSION_STATES[item.extension_state],
            "due_on": item.extension_due_on.isoformat(),
            "reason": item.extension_reason,
        },
        "result": item.result,
    }
