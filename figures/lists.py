"""Commend and attention lists (seed: 表扬和奖励 for high satisfaction; 通报批评 for units
that fall short), for a period and a scope, on the dashboard and in the monthly report.

- 表扬 (commend): the `figures.commend_count` units with the highest 好评率 over at
  least `figures.min_ranking_sample` ratings, and as many staff over at least
  `figures.commend_staff_min_sample` (the rankings of `figures.ratings`);
- 关注 (attention): units with 差评 tickets of the period past their deadline
  unresolved (超期) or past their deadline without a reply to the citizen (逾期未答复),
  and staff with at least `figures.repeat_bad_count` 差评 (counted first ratings)
  within the `figures.repeat_bad_days` days ending with the period.
"""

import datetime as dt

from peewee import JOIN
from peewee import Case as When
from peewee import fn

from core import clock
from core.config import current_settings
from models import Department
from models import Rating
from models import Staff
from models import Ticket
from models.rating import FIRST
from models.ticket import OPEN_STATES

from .ratings import Filters
from .ratings import ranking


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def commend(start: dt.date, end: dt.date, department_id: int | None = None) -> dict:
    rules = current_settings().figures
    f = Filters(start=start, end=end, department_id=department_id)
    units = [] if department_id is not None else ranking(f, "department")["rows"][: rules.commend_count]
    staff = ranking(f, "staff", min_sample=rules.commend_staff_min_sample)["rows"][: rules.commend_count]
    departments = _staff_departments([s["id"] for s in staff])
    return {
        "units": [{"name": u["name"], "rated": u["rated"], "good_rate": u["good_rate"]} for u in units],
        "staff": [
            {
                "name": s["name"],
                "department": departments.get(s["id"], ""),
                "rated": s["rated"],
                "good_rate": s["good_rate"],
            }
            for s in staff
        ],
    }


def _staff_departments(ids: list) -> dict:
    if not ids:
        return {}
    query = Staff.select(Staff.id, Department.name).join(Department).where(Staff.id.in_(ids)).tuples()
    return dict(query)


def attention(start: dt.date, end: dt.date, department_id: int | None = None) -> dict:
    now = clock.now()
    due = Ticket.due_at < now
    overdue = When(None, [(Ticket.state.in_(OPEN_STATES) & due, 1)], 0)
    unreplied = When(None, [(Ticket.replied_at.is_null() & due & (Ticket.state != "closed"), 1)], 0)
    query = (
        Ticket.select(Department.name, fn.SUM(overdue).alias("overdue"), fn.SUM(unreplied).alias("unreplied"))
        .join(Rating, on=(Ticket.rating == Rating.id))
        .switch(Ticket)
        .join(Department, on=(Ticket.department == Department.id))
        .where(~Rating.excluded & (Rating.created_at >= _at(start)) & (Rating.created_at < _at(end)))
        .group_by(Department.id, Department.name)
    )
    if department_id is not None:
        query = query.where(Ticket.department == department_id)
    units = [
        {"name": name, "overdue": int(o or 0), "unreplied": int(u or 0)}
        for name, o, u in query.tuples()
        if (o or 0) or (u or 0)
    ]
    units.sort(key=lambda u: (-u["overdue"], -u["unreplied"], u["name"]))
    return {"units": units, "staff": repeated_bad(end, department_id)}


def repeated_bad(end: dt.date, department_id: int | None = None) -> list[dict]:
    """Staff with repeated 差评 in the rolling window that ends with the period."""
    rules = current_settings().figures
    since = _at(end) - dt.timedelta(days=rules.repeat_bad_days)
    count = fn.COUNT(Rating.id)
    query = (
        Rating.select(Staff.name, Department.name, count.alias("n"), fn.MAX(Rating.created_at).alias("last"))
        .join(Staff, JOIN.INNER, on=(Rating.staff == Staff.id))
        .join(Department, on=(Staff.department == Department.id))
        .where(
            Rating.is_bad
            & ~Rating.excluded
            & (Rating.sequence == FIRST)
            & (Rating.created_at >= since)
            & (Rating.created_at < _at(end))
        )
        .group_by(Staff.id, Staff.name, Department.name)
        .having(count >= rules.repeat_bad_count)
    )
    if department_id is not None:
        query = query.where(Rating.department == department_id)
    rows = [{"name": name, "department": dept, "bad": n, "last": _day(last)} for name, dept, n, last in query.tuples()]
    rows.sort(key=lambda r: (-r["bad"], r["name"]))
    return rows


def _day(value) -> str:
    if isinstance(value, str):  # SQLite's MAX() of a text timestamp
        return value[:10]
    return value.strftime("%Y-%m-%d")


def window_days() -> int:
    return current_settings().figures.repeat_bad_days
