"""Bad-review tickets: opening, assignment, verification, rectification,
explanation, appeal and 销号 — the service the admin calls.

Every function takes the acting `User` (role bureau, dept_admin, dept_staff;
an auditor may only read) and raises `ApiError` on refusal; the rules of who
may do what in which state are in `rectification/workflow.py`. The reply and the
回访 are in `rectification/followup.py`, the 台账 in `rectification/ledger.py`.
"""

from peewee import fn

from core import clock
from core.errors import error
from models import AuditLog
from models import LedgerItem
from models import Notification
from models import Rating
from models import Ticket
from models import TicketContact
from models import TicketEvent
from models import User
from models import db
from models.access import DEPARTMENT_ROLES
from models.db import insert_model

from . import followup
from . import workflow
from .deadlines import deadline


def open_ticket(rating: Rating, rect) -> Ticket:
    """谁办理、谁负责: the ticket goes at once to the handling department and its default assignee.

    Called by the rating core inside the rating's transaction.
    """
    due_at, provisional = deadline(rating.created_at, rect)
    assignee = default_assignee(rating.department_id)
    ticket = Ticket(
        ticket_no=f"CP{rating.created_at:%Y%m%d}{rating.id:06d}",
        rating=rating,
        case=rating.case_id,
        department=rating.department_id,
        due_at=due_at,
        due_provisional=provisional,
        due_from=rating.created_at,
        assignee=assignee,
        created_at=rating.created_at,
        updated_at=rating.created_at,
    )
    insert_model(ticket)
    workflow.record(ticket, "open", None, to_state="new", note=f"整改期限 {due_at:%Y-%m-%d %H:%M}")
    Notification.put(
        f"ticket-new:{ticket.id}",
        "ticket.new",
        f"新差评工单 {ticket.ticket_no}，请于 {due_at:%Y-%m-%d} 前核实整改。"
        + ("（该期限跨入节假日安排尚未配置的年份，为暂定期限）" if provisional else ""),
        department=ticket.department_id,
        ref=f"ticket:{ticket.id}",
    )
    return ticket


def default_assignee(department_id):
    """The department's configured contact, else its first active admin, else its first active
    staff member — in one query (it runs inside every 差评's transaction)."""
    contact = TicketContact.select(TicketContact.id).where(
        (TicketContact.user == User.id) & (TicketContact.department == department_id)
    )
    return (
        User.select()
        .where((User.department == department_id) & User.active & User.role.in_(DEPARTMENT_ROLES))
        .order_by(fn.EXISTS(contact).desc(), (User.role == "dept_admin").desc(), User.id)
        .first()
    )


def set_contact(department, user, actor) -> None:
    """Name the user who receives a department's new tickets (bureau or that department's admin)."""
    if actor is None or not actor.active or actor.role not in ("bureau", "dept_admin"):
        error("forbidden", "无权设置默认承办人", 403)
    if actor.role == "dept_admin" and actor.department_id != department.id:
        error("forbidden", "只能设置本部门的默认承办人", 403)
    if not _can_handle(user, department.id):
        error("invalid_assignee", "默认承办人必须是该部门的在岗工作人员", 422)
    with db.atomic():
        TicketContact.insert(department=department, user=user).on_conflict(
            conflict_target=[TicketContact.department], update={TicketContact.user: user.id}
        ).execute()
        AuditLog.record(workflow.actor_ref(actor), "ticket.set_contact", f"department:{department.code}")


def assign(ticket: Ticket, user, actor) -> Ticket:
    """Reassign the ticket to another member of its department."""
    workflow.authorize(ticket, "assign", actor)
    if not _can_handle(user, ticket.department_id):
        error("invalid_assignee", "承办人必须是该工单所属部门的在岗工作人员", 422)
    with db.atomic():
        Ticket.update(assignee=user.id, updated_at=clock.now()).where(Ticket.id == ticket.id).execute()
        workflow.record(ticket, "assign", actor, note=f"承办人：{user.display_name or user.username}")
        Notification.put(
            f"ticket-assign:{ticket.id}:{user.id}:{clock.now():%Y%m%d%H%M%S}",
            "ticket.new",
            f"差评工单 {ticket.ticket_no} 已指派给您，整改期限 {ticket.due_at:%Y-%m-%d}。",
            department=ticket.department_id,
            user=user.id,
            ref=f"ticket:{ticket.id}",
        )
    return Ticket.get_by_id(ticket.id)


def record_verification_call(ticket: Ticket, actor, note) -> Ticket:
    """The verification call to the citizen that starts verification (核实)."""
    return workflow.move(ticket, "verify", actor, note, verification_call_at=clock.now())


def resolve_on_the_spot(ticket: Ticket, actor, note) -> Ticket:
    """当场解决: solved at once, recorded as such; the reply follows."""
    now = clock.now()
    return workflow.move(
        ticket,
        "resolve_on_the_spot",
        actor,
        note,
        on_the_spot=True,
        resolution_text=(note or "").strip(),
        resolved_at=now,
        verification_call_at=ticket.verification_call_at or now,
    )


def start_rectification(ticket: Ticket, actor, finding) -> Ticket:
    """The complaint is verified as founded (属实): rectify within the deadline."""
    return workflow.move(ticket, "rectify", actor, finding)


def complete_rectification(ticket: Ticket, actor, result) -> Ticket:
    if LedgerItem.open_for(ticket).exists():
        error("ledger_open", "台账中尚有未销号的整改事项，请逐项销号后再完成整改", 409)
    return workflow.move(
        ticket, "complete", actor, result, resolution_text=(result or "").strip(), resolved_at=clock.now()
    )


def explain(ticket: Ticket, actor, explanation) -> Ticket:
    """No legal basis for the demand: the explanation is what the citizen is told."""
    return workflow.move(
        ticket, "explain", actor, explanation, resolution_text=(explanation or "").strip(), resolved_at=clock.now()
    )


def appeal(ticket: Ticket, actor, reason, evidence) -> Ticket:
    """A mistaken or malicious rating (误评、恶意差评): the bureau decides, on the evidence."""
    evidence = workflow.clean_text(evidence, "申诉证据（如通话记录、监控截图说明）")
    with db.atomic():
        fresh = workflow.move(ticket, "appeal", actor, reason, evidence=evidence, appeal_from=ticket.state)
        Notification.put(
            f"appeal:{ticket.id}:{fresh.updated_at:%Y%m%d%H%M%S}",
            "ticket.appeal",
            f"差评工单 {ticket.ticket_no} 申请申诉复核，请审核。",
            ref=f"ticket:{ticket.id}",
        )
    return fresh


def decide_appeal(ticket: Ticket, approve: bool, actor, reason) -> Ticket:
    """The bureau's decision. Approved: the rating leaves every figure, its reason kept, and the ticket closes.
    Rejected: the ticket goes back where it was, its deadline unchanged."""
    if not isinstance(approve, bool):
        error("invalid_decision", "请选择通过或驳回", 422)
    if approve:
        reason = workflow.clean_text(reason, "审核意见")
        with db.atomic():
            fresh = workflow.move(ticket, "approve_appeal", actor, reason, closed_at=clock.now())
            Rating.update(excluded=True, excluded_reason=f"申诉通过（{ticket.ticket_no}）：{reason}").where(
                Rating.id == ticket.rating_id
            ).execute()
        return fresh
    return workflow.move(ticket, "reject_appeal", actor, reason, target=ticket.appeal_from or "verifying")


def close(ticket: Ticket, actor, note=None) -> Ticket:
    """销号: the loop is closed after the 回访."""
    return workflow.move(ticket, "close", actor, note, closed_at=clock.now())


def transition(ticket: Ticket, action: str, actor, note=None, evidence=None, **options) -> Ticket:
    """Any workflow action by its name (as `allowed_actions` lists them), for the admin's one form.

    `note` is the action's text (finding, result, explanation, reason, reply);
    `options`: `satisfaction` and `channel` for "followup"."""
    handlers = {
        "verify": lambda: record_verification_call(ticket, actor, note),
        "resolve_on_the_spot": lambda: resolve_on_the_spot(ticket, actor, note),
        "rectify": lambda: start_rectification(ticket, actor, note),
        "complete": lambda: complete_rectification(ticket, actor, note),
        "explain": lambda: explain(ticket, actor, note),
        "appeal": lambda: appeal(ticket, actor, note, evidence),
        "approve_appeal": lambda: decide_appeal(ticket, True, actor, note),
        "reject_appeal": lambda: decide_appeal(ticket, False, actor, note),
        "reply": lambda: followup.send_reply(ticket, note, actor),
        "followup": lambda: followup.record_followup(
            ticket, options.get("satisfaction"), options.get("channel", "phone"), actor, note
        ),
        "close": lambda: close(ticket, actor, note),
    }
    if action not in handlers:
        error("unknown_action", f"未知的工单操作：{action}", 422)
    return handlers[action]()


def history(ticket: Ticket) -> list[dict]:
    return [
        {
            "at": clock.iso(event.at),
            "actor": event.actor_ref,
            "action": event.action,
            "label": workflow.event_label(event.action),
            "from_state": event.from_state,
            "to_state": event.to_state,
            "note": event.note,
            "evidence": event.evidence,
        }
        for event in TicketEvent.history(ticket)
    ]


def _can_handle(user, department_id) -> bool:
    return user is not None and user.active and user.role in DEPARTMENT_ROLES and user.department_id == department_id
