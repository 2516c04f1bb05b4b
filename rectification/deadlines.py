"""Working-day arithmetic on the Chinese calendar.

Public holidays and make-up working days come from `chinesecalendar`, which
knows the years the State Council had announced before its release. Later
announcements go into `rectification.extra_holidays` / `extra_workdays`. For a
year that neither covers, weekends are the only days off and
`uncovered_years()` tells staff so: a holiday is never silently counted as a
working day without a warning.
"""

import datetime as dt
import functools

import chinese_calendar

_covered_cache: dict[int, bool] = {}


def _library_covers(year: int) -> bool:
    if year not in _covered_cache:
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
            _covered_cache[year] = True
        except NotImplementedError:
            _covered_cache[year] = False
    return _covered_cache[year]


def _configured_years(rect) -> set[int]:
    return {int(day[:4]) for day in list(rect.extra_holidays) + list(rect.extra_workdays)}


def is_working_day(day: dt.date, rect) -> bool:
    """`rect` is the `[rectification]` settings section."""
    return _is_working_day(day, tuple(rect.extra_holidays), tuple(rect.extra_workdays))


def _is_working_day(day: dt.date, holidays: tuple, workdays: tuple) -> bool:
    iso = day.isoformat()
    if iso in holidays:
        return False
    if iso in workdays:
        return True
    if _library_covers(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int, rect) -> dt.datetime:
    """The end (23:59:59) of the `days`-th working day after `start`'s date."""
    end = _nth_working_day(start.date(), days, tuple(rect.extra_holidays), tuple(rect.extra_workdays))
    return dt.datetime.combine(end, dt.time(23, 59, 59))


# Every 差评's ticket counts its deadline from today: counted once a day, not per ticket
# (the calendar's lookups were 4 % of the SMS drain's time). Keyed by the configured days.
@functools.lru_cache(maxsize=1024)
def _nth_working_day(start: dt.date, days: int, holidays: tuple, workdays: tuple) -> dt.date:
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if _is_working_day(day, holidays, workdays):
            counted += 1
    return day


def uncovered_years(years, rect) -> list[int]:
    """Those of `years` that neither the library nor the configuration covers."""
    configured = _configured_years(rect)
    return [y for y in years if not _library_covers(y) and y not in configured]


def deadline(start: dt.datetime, rect, days: int | None = None) -> tuple[dt.datetime, bool]:
    """The rectification deadline from `start`, and whether it is provisional:
    counted through a year whose holidays neither the library nor the
    configuration knows (weekends only), so it must be counted again later."""
    due = add_working_days(start, rect.deadline_working_days if days is None else days, rect)
    years = range(start.year, due.year + 1)
    return due, bool(uncovered_years(years, rect))


def calendar_warnings(today: dt.date, rect) -> list[str]:
    """What staff must be told about the holiday calendar, in Chinese (empty when all is known)."""
    return [
        f"{year} 年的法定节假日和调休安排尚未配置：请按国务院办公厅公布的通知，在配置"
        f" [rectification] extra_holidays / extra_workdays 中补充，否则该年整改期限只扣除周末。"
        for year in uncovered_years((today.year, today.year + 1), rect)
    ]
