"""Working days on the Chinese calendar, holidays and make-up days included."""

import datetime as dt

import pytest

from core.config import Section
from rectification.deadlines import add_working_days
from rectification.deadlines import is_working_day
from rectification.deadlines import uncovered_years

RECT = Section({"deadline_working_days": 5, "extra_holidays": [], "extra_workdays": []})


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # An ordinary week: Thursday + 5 working days = next Thursday.
        ("2026-11-26", "2026-12-03"),
        # 春节 2026: 15–23 Feb off; Sat 14 Feb and Sat 28 Feb are make-up working days.
        ("2026-02-13", "2026-02-27"),
        ("2026-02-12", "2026-02-26"),
        ("2026-02-24", "2026-03-02"),
        # 国庆 2026: 1–7 Oct off; Sun 20 Sep and Sat 10 Oct are make-up working days.
        ("2026-09-29", "2026-10-12"),
        # Thursday 17 Sep: Fri 18, (Sun 20 make-up), Mon 21, Tue 22, Wed 23.
        ("2026-09-17", "2026-09-23"),
    ],
)
def test_five_working_days(start, due):
    result = add_working_days(dt.datetime.fromisoformat(start + "T10:00"), 5, RECT)
    assert result == dt.datetime.fromisoformat(due + "T23:59:59")


def test_make_up_days_are_working_days_and_holidays_are_not():
    assert is_working_day(dt.date(2026, 2, 14), RECT)  # Saturday, make-up day
    assert is_working_day(dt.date(2026, 10, 10), RECT)  # Saturday, make-up day
    assert not is_working_day(dt.date(2026, 2, 16), RECT)  # Monday, 春节
    assert not is_working_day(dt.date(2026, 10, 5), RECT)  # Monday, 国庆


def test_announcements_after_the_library_come_from_configuration():
    rect = Section({"deadline_working_days": 5, "extra_holidays": ["2027-01-01"], "extra_workdays": ["2027-01-03"]})
    assert uncovered_years([2026, 2027], RECT) == [2027]
    assert uncovered_years([2026, 2027], rect) == []
    assert not is_working_day(dt.date(2027, 1, 1), rect)
    assert is_working_day(dt.date(2027, 1, 3), rect)  # a Sunday made a working day
