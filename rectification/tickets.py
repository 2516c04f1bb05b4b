"""Bad-review tickets: opening, assignment, verification, rectification,
explanation, appeal and 销号 — the service the admin calls.

Every function takes the acting `User` (role bureau, dept_admin, dept_staff;
an auditor may only read) and raises `ApiError` on refusal; the rules of who
may do what in which state are in `rectification/workflow.py`. The reply and the
回访 are in `rectification/followup.py`, the 台账 in `rectification/ledger.py`.
"""

from core import clock
from core.errors import error
from models import AuditLog
from models import LedgerItem
from models import Notification
from models import Rating
from models import Ticket
from models import TicketContact
from models import TicketEvent
from models import UpstreamPush
from models import User
from models import db
from models.access import DEPARTMENT_ROLES
from models.db import insert_model
from models.db import prepared

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


def default_assignee(department_id) -> int | None:
    """The id of the department's configured contact, else of its first active admin, else of
    its first active staff member — in one query, SQL written once and prepared (it runs inside
    every 差评's transaction, and compiling it cost more than running it)."""
    sql = prepared("tickets.default_assignee", _default_assignee_sql)
    row = db.execute_prepared(sql, [department_id, department_id]).fetchone()
    return row[0] if row else None


def _default_assignee_sql(p: str) -> str:
    user, contact = User._meta.table_name, TicketContact._meta.table_name
    roles = ", ".join(f"'{role}'" for role in DEPARTMENT_ROLES)
    return (
        f'SELECT u.id FROM "{user}" u WHERE u.department_id = {p} AND u.active AND u.role IN ({roles}) '  # noqa: S608
        f'ORDER BY EXISTS (SELECT 1 FROM "{contact}" c WHERE c.user_id = u.id AND c.department_id = {p}) DESC, '
        "(u.role = 'dept_admin') DESC, u.id LIMIT 1"
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
    Rejected: the ticket goes back where it was, its deadline unchanged. Either way the city is told
    once, in the same transaction (an outbox row): `effective` 0 with the reason, or 1."""
    if not isinstance(approve, bool):
        error("invalid_decision", "请选择通过或驳回", 422)
    with db.atomic():
        if approve:
            reason = workflow.clean_text(reason, "审核意见")
            fresh = workflow.move(ticket, "approve_appeal", actor, reason, closed_at=clock.now())
            Rating.update(
                excluded=True, excluded_reason=f"{workflow.APPEAL_APPROVED}（{ticket.ticket_no}）：{reason}"
            ).where(Rating.id == ticket.rating_id).execute()
        else:
            fresh = workflow.move(ticket, "reject_appeal", actor, reason, target=ticket.appeal_from or "verifying")
        UpstreamPush.queue_change(ticket.rating_id, workflow.settings().upstream.area_code)
    return fresh


def reverse_appeal(ticket: Ticket, actor, reason) -> Ticket:
    """The bureau takes back an approved appeal: the rating counts again, the ticket goes back
    where the appeal took it from, and the city gets `effective` 1 again (once)."""
    with db.atomic():
        fresh = workflow.move(
            ticket, "reverse_appeal", actor, reason, target=ticket.appeal_from or "verifying", closed_at=None
        )
        Rating.update(excluded=False, excluded_reason=None).where(Rating.id == ticket.rating_id).execute()
        UpstreamPush.queue_change(ticket.rating_id, workflow.settings().upstream.area_code)
    return fresh


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
        "reverse_appeal": lambda: reverse_appeal(ticket, actor, note),
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
