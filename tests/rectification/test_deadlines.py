"""Working-day deadlines on the Chinese calendar: 春节 and 国庆 with their
make-up working days, configured announcements for years the library does not
know, and warnings instead of silently counting a holiday as a working day."""

import datetime as dt

import pytest
from flask import current_app

from core import config
from models import Notification
from models import Ticket
from models import TicketEvent
from rectification import deadlines
from rectification import reminders


def rect(**changes):
    values = {"deadline_working_days": 5, "extra_holidays": [], "extra_workdays": []}
    values.update(changes)
    return config.Section(values)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # 春节 2026: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb are working days.
        ("2026-02-12", "2026-02-26"),  # Fri 13, Sat 14 (调休), Tue 24, Wed 25, Thu 26
        ("2026-02-25", "2026-03-03"),  # Thu 26, Fri 27, Sat 28 (调休), Mon 2, Tue 3
        ("2026-02-14", "2026-02-28"),  # from a 调休 Saturday: Tue 24 … Fri 27, Sat 28 (调休)
        # 国庆 2026: 1–7 Oct off; Sun 20 Sep and Sat 10 Oct are working days.
        ("2026-09-30", "2026-10-13"),  # Thu 8, Fri 9, Sat 10 (调休), Mon 12, Tue 13
        ("2026-09-18", "2026-09-24"),  # Sun 20 (调休), Mon 21 … Thu 24 (中秋 25–27 off)
        ("2026-09-24", "2026-10-09"),  # Mon 28, Tue 29, Wed 30, Thu 8, Fri 9
        # An ordinary week.
        ("2026-11-26", "2026-12-03"),
    ],
)
def test_five_working_days_across_holidays(start, due):
    at = dt.datetime.fromisoformat(f"{start}T10:00:00")
    assert deadlines.add_working_days(at, 5, rect()) == dt.datetime.fromisoformat(f"{due}T23:59:59")


def test_make_up_days_are_working_days_and_holidays_are_not():
    assert deadlines.is_working_day(dt.date(2026, 2, 14), rect())  # Saturday, 调休
    assert deadlines.is_working_day(dt.date(2026, 10, 10), rect())  # Saturday, 调休
    assert not deadlines.is_working_day(dt.date(2026, 2, 16), rect())  # Monday, 春节
    assert not deadlines.is_working_day(dt.date(2026, 10, 5), rect())  # Monday, 国庆


def test_uncovered_year_is_warned_and_provisional():
    settings = rect()
    assert deadlines.uncovered_years([2026, 2027], settings) == [2027]
    warnings = deadlines.calendar_warnings(dt.date(2026, 11, 26), settings)
    assert len(warnings) == 1 and "2027 年" in warnings[0] and "extra_holidays" in warnings[0]
    # Mon 28 Dec 2026 + 5: weekends only in 2027, and flagged as provisional.
    due, provisional = deadlines.deadline(dt.datetime(2026, 12, 28, 9), settings)
    assert due == dt.datetime(2027, 1, 4, 23, 59, 59) and provisional
    due, provisional = deadlines.deadline(dt.datetime(2026, 11, 26, 9), settings)
    assert not provisional


def test_configured_announcement_covers_a_new_year():
    settings = rect(extra_holidays=["2027-01-01"], extra_workdays=["2027-01-02"])
    assert deadlines.uncovered_years([2026, 2027], settings) == []
    assert deadlines.calendar_warnings(dt.date(2026, 11, 26), settings) == []
    due, provisional = deadlines.deadline(dt.datetime(2026, 12, 28, 9), settings)
    # Tue 29, Wed 30, Thu 31, (Fri 1 off), Sat 2 (调休), Mon 4
    assert due == dt.datetime(2027, 1, 4, 23, 59, 59) and not provisional
    assert not deadlines.is_working_day(dt.date(2027, 1, 1), settings)
    assert deadlines.is_working_day(dt.date(2027, 1, 2), settings)


def test_bad_calendar_configuration_is_refused():
    with pytest.raises(config.ConfigError, match="extra_holidays"):
        config.load({"rectification": {"extra_holidays": ["2027-1-1"]}}, environ={})
    with pytest.raises(config.ConfigError, match="followup_scale"):
        config.load({"rectification": {"followup_scale": ["satisfied", "great"]}}, environ={})
    with pytest.raises(config.ConfigError, match="followup_scale"):
        config.load({"rectification": {"followup_scale": ["satisfied"]}}, environ={})
    with pytest.raises(config.ConfigError, match="followup_scale"):
        config.load({"rectification": {"followup_scale": ["satisfied", "unsatisfied", 3]}}, environ={})
    with pytest.raises(config.ConfigError, match="reminder_lead_hours"):
        config.load({"rectification": {"reminder_lead_hours": 0}}, environ={})


def test_ticket_deadline_over_spring_festival(bad_ticket):
    ticket = bad_ticket(at=dt.datetime(2026, 2, 12, 15, 30))
    assert ticket.due_at == dt.datetime(2026, 2, 26, 23, 59, 59)
    assert not ticket.due_provisional


@pytest.mark.settings({"rectification": {"deadline_working_days": 3}})
def test_deadline_length_is_configuration(bad_ticket):
    ticket = bad_ticket(at=dt.datetime(2026, 9, 30, 9, 0))
    assert ticket.due_at == dt.datetime(2026, 10, 10, 23, 59, 59)  # Thu 8, Fri 9, Sat 10 (调休)


def test_provisional_deadline_is_counted_again_once_configured(bad_ticket, app):
    ticket = bad_ticket(at=dt.datetime(2026, 12, 28, 9, 0))
    assert ticket.due_provisional and ticket.due_at == dt.datetime(2027, 1, 4, 23, 59, 59)
    assert "暂定期限" in Notification.get(Notification.kind == "ticket.new").text
    # Unconfigured: nothing changes, the bureau is warned once about 2027.
    assert reminders.recount_deadlines() == 0
    assert reminders.recount_deadlines() == 0
    warning = Notification.get(Notification.kind == "calendar.uncovered")
    assert warning.department_id is None and "2027" in warning.text
    assert Notification.select().where(Notification.kind == "calendar.uncovered").count() == 1
    # The State Council's announcement arrives as configuration.
    settings = current_app.config["SETTINGS"].to_dict()
    settings["rectification"]["extra_holidays"] = ["2027-01-01"]
    app.config["SETTINGS"] = config.Section(settings)
    assert reminders.recount_deadlines() == 1
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.due_at == dt.datetime(2027, 1, 5, 23, 59, 59) and not ticket.due_provisional
    assert TicketEvent.history(ticket)[-1].action == "recount_deadline"
    assert reminders.recount_deadlines() == 0
