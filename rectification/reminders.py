"""Scheduler jobs of the bad-review workflow (listed in `jobs/table.py`).

Each opens its own connection, works only from the database and writes
notifications with dedupe keys, so running it twice notifies once. Queries are
read in full before writing: a SQLite connection still reading a query holds
an old snapshot, and its write would fail at once instead of waiting.

- `remind_due`: a reminder to the department, once a day, while a deadline
  (ticket or 台账 item) is within `reminder_lead_hours`, and once when the
  citizen has not been called back within `verification_call_working_days`;
- `escalate_overdue`: a passed deadline goes to the bureau (督办), once per deadline;
- `chase_followups`: an SMS 回访 left unanswered for `followup_answer_days`
  asks the bureau (or, with `followup_by = "department"`, the department) to phone;
- `recount_deadlines`: provisional deadlines (counted through a year the
  calendar did not know) are counted again once the year is configured,
  and the bureau is warned about uncovered current or next years.
"""

import datetime as dt

from core import clock
from models import LedgerItem
from models import Notification
from models import Ticket
from models import db
from models.ticket import OPEN_STATES

from . import workflow
from .deadlines import add_working_days
from .deadlines import calendar_warnings
from .deadlines import deadline
from .deadlines import uncovered_years


def remind_due() -> int:
    """Returns the number of reminders considered (already sent ones are not repeated)."""
    rect = workflow.settings().rectification
    now = clock.now()
    until = now + dt.timedelta(hours=rect.reminder_lead_hours)
    count = 0
    with db.connection_context():
        for ticket in list(Ticket.due_within(until)):
            _tell_department(
                ticket,
                f"remind:{ticket.id}:{now:%Y-%m-%d}",
                "ticket.reminder",
                f"差评工单 {ticket.ticket_no}（{ticket.state_label}）将于 {ticket.due_at:%Y-%m-%d %H:%M} 到期，"
                "请按时整改反馈。",
            )
            count += 1
        count += _remind_verification_calls(now, rect)
        items = (
            LedgerItem.select(LedgerItem, Ticket)
            .join(Ticket)
            .where(
                (LedgerItem.state == "open")
                & Ticket.state.in_(OPEN_STATES)
                & (LedgerItem.due_on >= now.date())
                & (LedgerItem.due_on <= until.date())
            )
        )
        for item in list(items):
            Notification.put(
                f"remind-ledger:{item.id}:{now:%Y-%m-%d}",
                "ticket.reminder",
                f"台账事项“{item.plan[:30]}”（工单 {item.ticket.ticket_no}，责任人 {item.responsible}）"
                f"将于 {item.due_on:%Y-%m-%d} 到期。",
                department=item.ticket.department_id,
                ref=f"ticket:{item.ticket_id}",
            )
            count += 1
    return count


def _remind_verification_calls(now, rect) -> int:
    """Tickets still waiting for the verification call (核实) after `verification_call_working_days`."""
    count = 0
    for ticket in list(Ticket.select().where(Ticket.state == "new")):
        target = add_working_days(ticket.due_from or ticket.created_at, rect.verification_call_working_days, rect)
        if target < now:
            _tell_department(
                ticket,
                f"callback:{ticket.id}",  # the stored once-only key, as before the rename
                "ticket.reminder",
                f"差评工单 {ticket.ticket_no} 已超过 {rect.verification_call_working_days} 个工作日未回访核实，"
                "请尽快联系群众。",
            )
            count += 1
    return count


def escalate_overdue() -> int:
    """Overdue tickets: the department is told and the bureau supervises. Returns the number escalated now."""
    now = clock.now()
    escalated = 0
    with db.connection_context():
        for ticket in list(Ticket.overdue()):
            key = f"escalate:{ticket.id}:{ticket.due_at:%Y%m%d%H%M}"
            if Notification.select().where(Notification.dedupe_key == key).exists():
                continue
            with db.atomic():
                Notification.put(
                    key,
                    "ticket.escalated",
                    f"差评工单 {ticket.ticket_no}（{ticket.department.name}）已超过整改期限 "
                    f"{ticket.due_at:%Y-%m-%d}，请督办。",
                    ref=f"ticket:{ticket.id}",
                )
                _tell_department(
                    ticket,
                    f"overdue:{ticket.id}:{ticket.due_at:%Y%m%d%H%M}",
                    "ticket.overdue",
                    f"差评工单 {ticket.ticket_no} 已超期，已报区行政审批局督办，请立即整改反馈。",
                )
                Ticket.update(escalated_at=now).where(Ticket.id == ticket.id).execute()
                workflow.record(ticket, "escalate", None, note=f"超过整改期限 {ticket.due_at:%Y-%m-%d %H:%M}，升级督办")
            escalated += 1
        escalated += _escalate_ledger_items(now)
    return escalated


def _escalate_ledger_items(now) -> int:
    """A 台账 item past its own date, while the ticket's (later, approved) deadline still runs."""
    items = (
        LedgerItem.select(LedgerItem, Ticket)
        .join(Ticket)
        .where(
            (LedgerItem.state == "open")
            & Ticket.state.in_(OPEN_STATES)
            & (LedgerItem.due_on < now.date())
            # An overdue ticket is escalated as a whole.
            & (Ticket.due_at >= now)
        )
    )
    count = 0
    for item in list(items):
        key = f"escalate-ledger:{item.id}:{item.due_on:%Y%m%d}"
        if Notification.select().where(Notification.dedupe_key == key).exists():
            continue
        text = (
            f"差评工单 {item.ticket.ticket_no} 的台账事项“{item.plan[:30]}”（责任人 {item.responsible}）"
            f"已超过时限 {item.due_on:%Y-%m-%d}"
        )
        with db.atomic():
            Notification.put(key, "ticket.escalated", f"{text}，请督办。", ref=f"ticket:{item.ticket_id}")
            Notification.put(
                f"overdue-ledger:{item.id}:{item.due_on:%Y%m%d}",
                "ticket.overdue",
                f"{text}，请立即整改。",
                department=item.ticket.department_id,
                ref=f"ticket:{item.ticket_id}",
            )
            workflow.record(item.ticket, "escalate", None, note=f"台账事项超过时限 {item.due_on:%Y-%m-%d}，升级督办")
        count += 1
    return count


def chase_followups() -> int:
    rect = workflow.settings().rectification
    asked_before = clock.now() - dt.timedelta(days=rect.followup_answer_days)
    count = 0
    with db.connection_context():
        for ticket in list(Ticket.followup_unanswered(asked_before)):
            key = f"followup-call:{ticket.id}:{ticket.reply_count}"
            text = f"差评工单 {ticket.ticket_no} 的短信回访 {rect.followup_answer_days} 天未获答复，请电话回访。"
            if workflow.followup_by_bureau():
                # The bureau's 回访 queue: the department does not grade its own rectification.
                Notification.put(key, "ticket.followup_call", text, ref=f"ticket:{ticket.id}")
            else:
                _tell_department(ticket, key, "ticket.followup_call", text)
            count += 1
    return count


def recount_deadlines() -> int:
    """Returns the number of deadlines changed."""
    rect = workflow.settings().rectification
    changed = 0
    with db.connection_context():
        for warning_year, text in _warnings(rect):
            Notification.put(f"calendar:{warning_year}", "calendar.uncovered", text)
        for ticket in list(Ticket.provisional_open().where(~Ticket.on_ledger)):
            due_at, provisional = deadline(ticket.due_from or ticket.created_at, rect)
            if (due_at, provisional) == (ticket.due_at, True):
                continue
            with db.atomic():
                Ticket.update(due_at=due_at, due_provisional=provisional).where(Ticket.id == ticket.id).execute()
                workflow.record(
                    ticket, "recount_deadline", None, note=f"节假日安排已更新，整改期限重算为 {due_at:%Y-%m-%d}"
                )
            changed += 1
    return changed


def _warnings(rect):
    today = clock.today()
    years = uncovered_years((today.year, today.year + 1), rect)
    return list(zip(years, calendar_warnings(today, rect), strict=True))


def _tell_department(ticket, key: str, kind: str, text: str) -> None:
    """A notification to the ticket's department and its assignee, once per key."""
    Notification.put(
        key, kind, text, department=ticket.department_id, user=ticket.assignee_id, ref=f"ticket:{ticket.id}"
    )
