"""The 台账 for complex cases: a plan, a responsible person and a due date per
item; later dates only with the bureau's approval; closed item by item.

The ticket's deadline is the latest approved item date (never earlier than
its own); a plan that needs longer than the deadline starts as an extension
request that the bureau approves or rejects.
"""

import datetime as dt

from core import clock
from core.errors import error
from models import LedgerItem
from models import Notification
from models import Ticket
from models import db

from . import workflow


def put_on_ledger(ticket: Ticket, plan, responsible, due, actor) -> LedgerItem:
    """Add a 台账 item to a ticket under rectification."""
    plan = workflow.authorize(ticket, "put_on_ledger", actor, plan)
    responsible = workflow.clean_text(responsible, "责任人", max_length=50)
    due = _date(due)
    if due < clock.today():
        error("invalid_due", "台账完成时限不能早于今天", 422)
    limit = ticket.due_at.date()
    with db.atomic():
        item = LedgerItem.create(
            ticket=ticket.id, plan=plan, responsible=responsible, due_on=min(due, limit), created_at=clock.now()
        )
        Ticket.update(on_ledger=True, updated_at=clock.now()).where(Ticket.id == ticket.id).execute()
        workflow.record(ticket, "put_on_ledger", actor, note=f"{plan}（责任人：{responsible}，时限：{due:%Y-%m-%d}）")
        if due > limit:
            _request(ticket, item, due, f"整改计划需至 {due:%Y-%m-%d} 完成，超出整改期限", actor)
    return LedgerItem.get_by_id(item.id)


def request_extension(item: LedgerItem, new_due, reason, actor) -> LedgerItem:
    ticket = item.ticket
    reason = workflow.authorize(ticket, "request_extension", actor, reason)
    new_due = _date(new_due)
    if item.state != "open":
        error("ledger_item_closed", "该台账事项已销号", 409)
    if item.extension_state == "requested":
        error("extension_pending", "该台账事项已有待审批的延期申请", 409)
    if new_due <= item.due_on:
        error("invalid_due", "延期后的时限必须晚于现有时限", 422)
    with db.atomic():
        _request(ticket, item, new_due, reason, actor)
    return LedgerItem.get_by_id(item.id)


def decide_extension(item: LedgerItem, approve: bool, actor, reason) -> LedgerItem:
    """The bureau approves (the item's and, if later, the ticket's deadline move) or rejects."""
    ticket = item.ticket
    reason = workflow.authorize(ticket, "decide_extension", actor, reason)
    if not isinstance(approve, bool):
        error("invalid_decision", "请选择通过或驳回", 422)
    with db.atomic():
        changed = (
            LedgerItem.update(
                extension_state="approved" if approve else "rejected",
                due_on=item.extension_due_on if approve else item.due_on,
            )
            .where((LedgerItem.id == item.id) & (LedgerItem.extension_state == "requested"))
            .execute()
        )
        if changed != 1:
            error("no_extension_request", "该台账事项没有待审批的延期申请", 409)
        if approve:
            due_at = dt.datetime.combine(item.extension_due_on, dt.time(23, 59, 59))
            Ticket.update(due_at=due_at, due_provisional=False, updated_at=clock.now()).where(
                (Ticket.id == ticket.id) & (Ticket.due_at < due_at)
            ).execute()
        verdict = "批准" if approve else "驳回"
        workflow.record(
            ticket, "decide_extension", actor, note=f"{verdict}延期至 {item.extension_due_on:%Y-%m-%d}：{reason}"
        )
    return LedgerItem.get_by_id(item.id)


def close_ledger_item(item: LedgerItem, result, actor) -> LedgerItem:
    """逐项销号: one item done, with its result."""
    ticket = item.ticket
    result = workflow.authorize(ticket, "close_ledger_item", actor, result)
    with db.atomic():
        changed = (
            LedgerItem.update(state="closed", result=result, closed_at=clock.now())
            .where((LedgerItem.id == item.id) & (LedgerItem.state == "open"))
            .execute()
        )
        if changed != 1:
            error("ledger_item_closed", "该台账事项已销号", 409)
        workflow.record(ticket, "close_ledger_item", actor, note=f"{item.plan}：{result}")
    return LedgerItem.get_by_id(item.id)


def _request(ticket, item, new_due, reason, actor) -> None:
    LedgerItem.update(extension_state="requested", extension_due_on=new_due, extension_reason=reason).where(
        LedgerItem.id == item.id
    ).execute()
    workflow.record(ticket, "request_extension", actor, note=f"申请延期至 {new_due:%Y-%m-%d}：{reason}")
    Notification.put(
        f"extension:{item.id}:{new_due:%Y%m%d}:{clock.now():%Y%m%d%H%M%S}",
        "ticket.extension",
        f"差评工单 {ticket.ticket_no} 的台账事项申请延期至 {new_due:%Y-%m-%d}，请审批。",
        ref=f"ticket:{ticket.id}",
    )


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        error("invalid_due", "时限必须是 YYYY-MM-DD 格式的日期", 422)
