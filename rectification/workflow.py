"""The bad-review state machine: which action moves a ticket from which state
to which, who may take it, and the record every step leaves.

    new ──verify──► verifying ──rectify──► rectifying ──complete──► rectified ─┐
     │                 │  ├──explain──► explained ─────────────────────────────┤
     └─resolve_on_the_spot (当场解决) ───────────────────────────► rectified ──┤
                       └──appeal──► appeal ──approve_appeal──► closed          │
                                      │  (reverse_appeal ◄─┘ back where it was) │
                                      └──reject_appeal──► (back where it was)  │
    replied ◄──reply────────────────────────────────────────────────────────────┘
       └──followup──► followed_up ──close (销号)──► closed
       └──followup 不满意──► verifying (reopened, new deadline, escalated)

Every transition is one conditional UPDATE (`WHERE state = <from>`), so two
staff members acting at once give one success and one refusal; each writes a
`TicketEvent` (who, when, why) and an `AuditLog` row in the same transaction.
"""

from dataclasses import dataclass

from flask import has_app_context

from core import clock
from core import config
from core.config import current_settings
from core.errors import error
from models import TICKET_STATES
from models import AuditLog
from models import Ticket
from models import TicketEvent
from models import db
from models.db import insert_model

DEPARTMENT = ("dept_staff", "dept_admin")
REASSIGNABLE = ("new", "verifying", "rectifying", "rectified", "explained", "replied")
SYSTEM_ACTIONS = ("followup",)


@dataclass(frozen=True)
class Action:
    label: str
    sources: tuple
    target: str | None  # None: decided by the service (reject_appeal, followup)
    roles: tuple  # besides the bureau, which may act on every ticket
    note_required: str | None = None  # the Chinese name of the required note


ACTIONS = {
    # 核实 starts with the verification call; worded apart from the 回访 after the reply.
    "verify": Action("联系群众核实", ("new",), "verifying", DEPARTMENT, "核实情况"),
    "resolve_on_the_spot": Action("当场解决", ("new", "verifying"), "rectified", DEPARTMENT, "解决情况"),
    "rectify": Action("确认属实并整改", ("verifying",), "rectifying", DEPARTMENT, "核实结论"),
    "complete": Action("整改完成", ("rectifying",), "rectified", DEPARTMENT, "整改情况"),
    "explain": Action("解释说明", ("verifying",), "explained", DEPARTMENT, "解释说明"),
    "appeal": Action("提出申诉", ("verifying",), "appeal", DEPARTMENT, "申诉理由"),
    "approve_appeal": Action("申诉通过", ("appeal",), "closed", (), "审核意见"),
    "reject_appeal": Action("申诉驳回", ("appeal",), None, (), "审核意见"),
    # The bureau takes back an approval (new facts): the rating counts again, here and at the city.
    "reverse_appeal": Action("撤销申诉通过", ("closed",), None, (), "撤销理由"),
    "reply": Action("答复群众", ("rectified", "explained"), "replied", DEPARTMENT),
    # The department's only when `rectification.followup_by = "department"` (see followup_by_bureau).
    "followup": Action("记录回访", ("replied",), None, DEPARTMENT),
    "close": Action("销号", ("followed_up",), "closed", ("dept_admin",)),
}

# Steps that change no state but belong to the workflow, with the states they need.
STEPS = {
    "assign": Action("指派承办人", REASSIGNABLE, None, ("dept_admin",)),
    "put_on_ledger": Action("列入台账", ("rectifying",), None, DEPARTMENT, "整改计划"),
    "request_extension": Action("申请延期", ("rectifying",), None, DEPARTMENT, "延期理由"),
    "decide_extension": Action("审批延期", ("rectifying",), None, (), "审批意见"),
    "close_ledger_item": Action("台账销号", ("rectifying",), None, DEPARTMENT, "整改结果"),
}

# The order of the workflow, in which the admin offers what may be done; reassignment last.
ORDER = (
    "verify",
    "resolve_on_the_spot",
    "rectify",
    "put_on_ledger",
    "request_extension",
    "decide_extension",
    "close_ledger_item",
    "complete",
    "explain",
    "appeal",
    "approve_appeal",
    "reject_appeal",
    "reply",
    "followup",
    "close",
    "assign",
)


def settings():
    """The validated settings: the app's, or (a job outside a request) loaded once."""
    if has_app_context():
        return current_settings()
    global _loaded
    if _loaded is None:
        _loaded = config.load()
    return _loaded


_loaded = None


# Events that are not actions a user takes.
EVENT_LABELS = {
    "open": "生成工单",
    "escalate": "超期升级督办",
    "recount_deadline": "重算整改期限",
    "reply_undeliverable": "答复无法送达",
}


def event_label(name: str) -> str:
    action = ACTIONS.get(name) or STEPS.get(name)
    return action.label if action is not None else EVENT_LABELS.get(name, name)


def actor_ref(actor) -> str:
    return f"user:{actor.username}" if actor is not None else "system"


def may(ticket: Ticket, name: str, actor) -> bool:
    """Whether `actor` (a User, or None for the system) may take `name` on `ticket` in its state."""
    action = ACTIONS.get(name) or STEPS[name]
    return ticket.state in action.sources and _role_allows(ticket, action, actor) and _holds(ticket, name)


# Appeal approvals leave the rating excluded with this reason (rectification.tickets.decide_appeal).
APPEAL_APPROVED = "申诉通过"


def appeal_approved(ticket: Ticket) -> bool:
    """A ticket closed by an approved appeal whose rating is still left out."""
    rating = ticket.rating
    return ticket.state == "closed" and rating.excluded and (rating.excluded_reason or "").startswith(APPEAL_APPROVED)


def _holds(ticket: Ticket, name: str) -> bool:
    """Conditions beyond the state: only an approved appeal can be reversed (not a 销号)."""
    return appeal_approved(ticket) if name == "reverse_appeal" else True


def allowed_actions(ticket: Ticket, actor) -> list[dict]:
    """What the admin offers `actor` on this ticket, in workflow order: [{"action", "label"}]."""
    names = sorted((name for name in list(ACTIONS) + list(STEPS) if may(ticket, name, actor)), key=_position)
    return [{"action": name, "label": (ACTIONS.get(name) or STEPS[name]).label} for name in names]


def authorize(ticket: Ticket, name: str, actor, note=None) -> str | None:
    """Refuse what `actor` may not do now; returns the cleaned note."""
    action = ACTIONS.get(name) or STEPS[name]
    # Only the citizen's own SMS answer acts without a user.
    if (actor is None and name not in SYSTEM_ACTIONS) or (
        actor is not None and not _role_allows(ticket, action, actor)
    ):
        error("forbidden", f"无权对该工单执行“{action.label}”", 403)
    if ticket.state not in action.sources or not _holds(ticket, name):
        state = TICKET_STATES.get(ticket.state, ticket.state)
        error("illegal_transition", f"工单当前状态为“{state}”，不能执行“{action.label}”", 409)
    return clean_text(note, action.note_required)


def clean_text(value, required_name: str | None, max_length: int = 2000) -> str | None:
    if value is not None and not isinstance(value, str):
        error("invalid_note", "说明必须是文字", 422)
    text = (value or "").strip()
    if required_name and not text:
        error("note_required", f"请填写{required_name}", 422)
    if len(text) > max_length:
        error("note_too_long", f"说明不能超过 {max_length} 字", 422)
    return text or None


def move(ticket: Ticket, name: str, actor, note=None, evidence=None, target=None, ref=None, **changes) -> Ticket:
    """Move `ticket` by action `name`; refuses illegal moves and lost races. Returns the fresh ticket.

    The primitive under the service functions, which add each action's own
    rules and side effects: call `rectification.tickets.transition` (or the named
    function) rather than this."""
    action = ACTIONS[name]
    note = authorize(ticket, name, actor, note)
    to_state = action.target or target
    if to_state not in TICKET_STATES:
        raise ValueError(f"{name} needs a target state")
    now = clock.now()
    with db.atomic():
        updated = (
            Ticket.update(state=to_state, updated_at=now, **changes)
            .where((Ticket.id == ticket.id) & (Ticket.state == ticket.state))
            .execute()
        )
        if updated != 1:
            error("ticket_changed", "工单已被他人处理，请刷新后重试", 409)
        record(ticket, name, actor, note, evidence, from_state=ticket.state, to_state=to_state, ref=ref)
    return Ticket.get_by_id(ticket.id)


def record(ticket: Ticket, name: str, actor, note=None, evidence=None, from_state=None, to_state=None, ref=None):
    """The event and the audit row for one step (inside the caller's transaction; on PostgreSQL
    both travel with the transaction's next statement: nobody reads them back in it)."""
    insert_model(
        TicketEvent(
            ticket=ticket.id,
            at=clock.now(),
            actor=actor.id if actor is not None else None,
            actor_ref=ref or actor_ref(actor),
            action=name,
            from_state=from_state,
            to_state=to_state,
            note=note,
            evidence=evidence,
        ),
        defer=True,
    )
    # Notes may quote the citizen: the audit log keeps only the step.
    AuditLog.record(
        ref or actor_ref(actor),
        f"ticket.{name}",
        f"ticket:{ticket.ticket_no}",
        from_state=from_state,
        to_state=to_state,
    )


def followup_by_bureau() -> bool:
    """Whether the bureau alone records 回访 (`rectification.followup_by`, the seed's rule: the
    department never grades its own rectification; it sees the result)."""
    return settings().rectification.followup_by == "bureau"


def _roles(action: Action) -> tuple:
    if action is ACTIONS["followup"] and followup_by_bureau():
        return ()
    return action.roles


def _position(name: str) -> int:
    return ORDER.index(name) if name in ORDER else len(ORDER)


def _role_allows(ticket: Ticket, action: Action, actor) -> bool:
    if actor is None:
        return False
    if not actor.active:
        return False
    if actor.role == "bureau":
        return True
    return actor.role in _roles(action) and actor.department_id == ticket.department_id
