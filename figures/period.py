"""Months: parsing, the current month, and the dates of the monthly cycle (Beijing time).

The cycle (`[month]`): reminders from `remind_day`, the close on `close_day` at
`close_time` — in a month shorter than that day, on its last day.
"""

import calendar
import datetime as dt
import re

from core import clock
from core.config import current_settings

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text) -> str | None:
    """ "YYYY-MM" (years 2000–2099) as given, or None when it is not one."""
    if not isinstance(text, str):
        return None
    match = _MONTH.match(text.strip())
    if match is None or not 2000 <= int(match.group(1)) <= 2099:
        return None
    return text.strip()


def first_day(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def month_of(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def current_month() -> str:
    return month_of(clock.today())


def shift(month: str, months: int) -> str:
    """The month `months` after (negative: before) `month`."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{index // 12}-{index % 12 + 1:02d}"


def previous(month: str) -> str:
    return shift(month, -1)


def last_day(month: str) -> dt.date:
    start = first_day(month)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _on(month: str, day: int) -> dt.date:
    start = first_day(month)
    return start.replace(day=min(day, calendar.monthrange(start.year, start.month)[1]))


def close_at(month: str) -> dt.datetime:
    """When the scheduler closes `month`: its `close_day` (or last day) at `close_time`."""
    cycle = current_settings().month
    hour, minute = (int(part) for part in cycle.close_time.split(":"))
    return dt.datetime.combine(_on(month, cycle.close_day), dt.time(hour, minute))


def remind_from(month: str) -> dt.datetime:
    """From when the units are reminded to submit `month`."""
    return dt.datetime.combine(_on(month, current_settings().month.remind_day), dt.time())


def recent(count: int) -> list[str]:
    """The current month and the `count - 1` before it, newest first."""
    now = current_month()
    return [shift(now, -n) for n in range(count)]


def is_future(month: str) -> bool:
    return month > current_month()
