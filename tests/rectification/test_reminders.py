"""Reminders before the deadline and escalation after it, on a controlled
clock; every job is safe to run twice."""

import datetime as dt

from core import clock
from jobs.table import JOBS
from models import Notification
from models import Ticket
from models import TicketEvent
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from rectification import followup
from rectification import ledger
from rectification import reminders
from rectification import tickets


def kinds(kind):
    return list(Notification.select().where(Notification.kind == kind).order_by(Notification.id))


def test_jobs_are_in_the_table():
    funcs = {job["func"] for job in JOBS}
    assert {
        "rectification.reminders:remind_due",
        "rectification.reminders:escalate_overdue",
        "rectification.reminders:chase_followups",
        "rectification.reminders:recount_deadlines",
    } <= funcs


def test_reminder_once_a_day_within_the_lead_time(bad_ticket, staff):
    ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系")  # due 2026-12-03 23:59:59
    assert reminders.remind_due() == 0
    clock.freeze(dt.datetime(2026, 12, 3, 0, 30))  # within 24 h of the deadline
    reminders.remind_due()
    reminders.remind_due()
    sent = kinds("ticket.reminder")
    assert len(sent) == 1
    assert sent[0].department_id == ticket.department_id and sent[0].user_id == staff.police_admin.id
    assert ticket.ticket_no in sent[0].text and sent[0].ref == f"ticket:{ticket.id}"
    # Resolved tickets are not reminded.
    tickets.resolve_on_the_spot(ticket, staff.police_staff, "已解决")
    clock.freeze(dt.datetime(2026, 12, 3, 20, 0))
    assert reminders.remind_due() == 0


def test_escalation_when_the_deadline_passes(bad_ticket, staff):
    ticket = bad_ticket()
    clock.freeze(dt.datetime(2026, 12, 3, 23, 59, 59))
    assert reminders.escalate_overdue() == 0  # the last second is still in time
    clock.freeze(dt.datetime(2026, 12, 4, 0, 0, 1))
    assert reminders.escalate_overdue() == 1
    assert reminders.escalate_overdue() == 0
    bureau = kinds("ticket.escalated")
    assert len(bureau) == 1 and bureau[0].department_id is None
    department = kinds("ticket.overdue")
    assert len(department) == 1 and department[0].department_id == ticket.department_id
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.escalated_at == clock.now() and ticket.is_overdue
    assert TicketEvent.history(ticket)[-1].action == "escalate"
    # The bureau sees the escalation; the department's notice goes to the assignee.
    assert [n.kind for n in Notification.for_user(staff.bureau)][0] == "ticket.escalated"
    assert "ticket.overdue" in [n.kind for n in Notification.for_user(staff.police_admin)]
    assert "ticket.overdue" not in [n.kind for n in Notification.for_user(staff.police_staff)]
    assert "ticket.new" in [n.kind for n in Notification.unread_for(staff.police_staff)]
    assert Notification.for_user(staff.social_staff).count() == 0


def test_an_extended_deadline_escalates_again_when_it_passes(bad_ticket, staff):
    ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系")
    ticket = tickets.start_rectification(ticket, staff.police_staff, "属实")
    item = ledger.put_on_ledger(ticket, "改造", "张科长", "2026-12-10", staff.police_staff)
    clock.freeze(dt.datetime(2026, 12, 4, 9, 0))
    assert reminders.escalate_overdue() == 1
    ledger.decide_extension(item, True, staff.bureau, "同意")
    assert reminders.escalate_overdue() == 0
    clock.freeze(dt.datetime(2026, 12, 9, 9, 0))
    assert reminders.escalate_overdue() == 0
    reminders.remind_due()
    assert any("台账事项" in n.text for n in kinds("ticket.reminder"))
    clock.freeze(dt.datetime(2026, 12, 11, 0, 0, 1))
    assert reminders.escalate_overdue() == 1
    assert len(kinds("ticket.escalated")) == 2


def test_appeals_and_resolved_tickets_are_not_escalated(bad_ticket, staff):
    appealed = tickets.appeal(
        tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系"), staff.police_staff, "误评", "录音"
    )
    tickets.resolve_on_the_spot(bad_ticket(), staff.police_staff, "已解决")
    clock.freeze(dt.datetime(2026, 12, 10, 9, 0))
    assert reminders.escalate_overdue() == 0
    # Rejected back: the department's clock runs again, and it has passed.
    tickets.decide_appeal(appealed, False, staff.bureau, "证据不足")
    assert reminders.escalate_overdue() == 1


def test_unanswered_sms_followup_asks_staff_to_phone(bad_ticket, staff):
    ticket = tickets.resolve_on_the_spot(bad_ticket(), staff.police_staff, "已解决")
    ticket = followup.send_reply(ticket, "已解决。", staff.police_staff)
    clock.freeze(ticket.followup_asked_at + dt.timedelta(days=2))
    assert reminders.chase_followups() == 0
    clock.freeze(ticket.followup_asked_at + dt.timedelta(days=3, minutes=1))
    reminders.chase_followups()
    reminders.chase_followups()
    calls = kinds("ticket.followup_call")
    assert len(calls) == 1 and "电话回访" in calls[0].text
    assert calls[0].department_id is None  # the bureau phones (rectification.followup_by)
    followup.record_followup(ticket, "satisfied", channel="phone", actor=staff.bureau)
    assert reminders.chase_followups() == 0


def test_jobs_run_outside_a_request(make, app):
    """The scheduler calls the job functions with an app context and no open connection."""
    with app.app_context(), db.connection_context():
        request = RatingRequest(level=1, channel="pad", window=make.police_window, rater_ref="device:pad1")
        ticket = submit_rating(request).ticket
    clock.freeze(dt.datetime(2026, 12, 5, 9, 0))
    with app.app_context():
        assert reminders.escalate_overdue() == 1
        assert reminders.remind_due() == 1  # not called back (核实) yet
        assert reminders.chase_followups() == 0
        assert reminders.recount_deadlines() == 0
    assert db.is_closed()
    with db.connection_context():
        assert Ticket.get_by_id(ticket.id).escalated_at == clock.now()


def test_an_overdue_ledger_item_escalates_while_the_ticket_runs(bad_ticket, staff):
    ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系")
    ticket = tickets.start_rectification(ticket, staff.police_staff, "属实")
    quick = ledger.put_on_ledger(ticket, "更换叫号机", "张科长", "2026-12-01", staff.police_staff)
    long = ledger.put_on_ledger(ticket, "改造大厅", "王局长", "2027-01-15", staff.police_staff)
    ledger.decide_extension(long, True, staff.bureau, "同意")
    clock.freeze(dt.datetime(2026, 12, 2, 9, 0))
    assert reminders.escalate_overdue() == 1
    assert reminders.escalate_overdue() == 0
    assert "更换叫号机" in kinds("ticket.escalated")[0].text
    assert not Ticket.get_by_id(ticket.id).is_overdue
    ledger.close_ledger_item(quick, "已更换", staff.police_staff)
    clock.freeze(dt.datetime(2026, 12, 20, 9, 0))
    assert reminders.escalate_overdue() == 0


def test_callback_reminder_after_one_working_day(bad_ticket, staff):
    ticket = bad_ticket(at=dt.datetime(2026, 11, 27, 16, 0))  # Friday
    clock.freeze(dt.datetime(2026, 11, 30, 20, 0))  # Monday evening: still within the day
    reminders.remind_due()
    assert not kinds("ticket.reminder")
    clock.freeze(dt.datetime(2026, 12, 1, 9, 0))
    reminders.remind_due()
    reminders.remind_due()
    sent = kinds("ticket.reminder")
    assert len(sent) == 1 and "未回访核实" in sent[0].text
    tickets.record_verification_call(ticket, staff.police_staff, "已联系")
    clock.freeze(dt.datetime(2026, 12, 2, 9, 0))
    reminders.remind_due()
    assert len(kinds("ticket.reminder")) == 1
