"""What the ticket page reads back: the history in words (who by name and role,
the step, the state it moved to, the note and the evidence), the appeal the
bureau is deciding on, and the 台账."""

from dataclasses import dataclass

from models import TICKET_STATES
from models import LedgerItem
from models import TicketEvent
from models.ticket import EXTENSION_STATES
from models.ticket import LEDGER_STATES
from rectification import workflow

from .people import actor_names


@dataclass
class Event:
    at: object
    code: str  # the workflow's name of the step
    action: str
    actor: str
    note: str
    evidence: str = ""
    change: str = ""  # "核实中 → 整改中"


def history(ticket) -> list[Event]:
    """The ticket's events, oldest first, each step and state by its Chinese name."""
    events = list(TicketEvent.history(ticket))
    names = actor_names(e.actor_ref for e in events)
    return [
        Event(
            at=e.at,
            code=e.action,
            action=workflow.event_label(e.action),
            actor=names.get(e.actor_ref) or "系统（自动处理）",
            note=e.note or "",
            evidence=e.evidence or "",
            change=_change(e.from_state, e.to_state),
        )
        for e in events
    ]


def pending_appeal(ticket, events: list[Event]) -> Event | None:
    """The appeal the bureau decides on: its reason and evidence, while the ticket is under appeal."""
    if ticket.state != "appeal":
        return None
    return next((e for e in reversed(events) if e.code == "appeal"), None)


def ledger(ticket) -> list[dict]:
    return [
        {
            "id": item.id,
            "plan": item.plan,
            "responsible": item.responsible,
            "due_on": item.due_on,
            "state": LEDGER_STATES.get(item.state, item.state),
            "extension": None
            if item.extension_state is None
            else f"{EXTENSION_STATES.get(item.extension_state, item.extension_state)}"
            f"（至 {item.extension_due_on:%Y-%m-%d}）：{item.extension_reason or ''}",
            "result": item.result or "",
        }
        for item in LedgerItem.for_ticket(ticket)
    ]


def _change(from_state, to_state) -> str:
    if not to_state or from_state == to_state:
        return ""
    target = TICKET_STATES.get(to_state, to_state)
    return f"{TICKET_STATES.get(from_state, from_state)} → {target}" if from_state else target
