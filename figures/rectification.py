"""Bad-review rectification figures (GB/T 39734 差评 measures), for any unit and period.

One function for the admin, the public page and the monthly report alike.
The population is the 差评 (level 1–2) given in the period (by the rating's
time, Beijing dates inclusive) to the unit, minus excluded ratings (an
approved appeal takes a rating out of every figure). Each 差评 has a ticket.

    差评数              bad       = 差评 in the period
    差评回复率          replied / bad            (replied: the citizen got at least one reply)
    回访整改率          followed_up / bad        (followed_up: a 回访 answer was obtained,
                                                   满意/基本满意/不满意; "无法回访" is not one)
    回访整改满意率      satisfied / followed_up  (satisfied: 满意, plus 基本满意 when
                                                   `rectification.basically_satisfied_counts`)
    按期整改率          on_time / (resolved + overdue)
                        (resolved: rectified, solved on the spot or explained; on time when
                         resolved by the deadline then in force; overdue: not resolved and past it)
    超期数              overdue = open tickets past their deadline now
    逾期办结数          resolved_late = resolved after the deadline

Rates are percentages with two decimals, None when the denominator is 0.
"""

import datetime as dt

from peewee import JOIN
from peewee import Case as When
from peewee import fn

from core import clock
from models import Rating
from models import Ticket
from models import db
from models.db import is_postgres
from models.ticket import OPEN_STATES

from . import ticket_rollup

UNITS = {
    "department": Rating.department,
    "hall": Rating.hall,
    "window": Rating.window,
    "staff": Rating.staff,
    "item": Rating.item,
}
ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied")


def period_bounds(period) -> tuple[dt.date, dt.date]:
    """A month "YYYY-MM", a date, or a (start, end) pair of dates (inclusive) → (start, end)."""
    if isinstance(period, str):
        try:
            start = dt.date.fromisoformat(f"{period}-01")
        except ValueError:
            raise ValueError(f"period {period!r} is not YYYY-MM") from None
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return start, following - dt.timedelta(days=1)
    if isinstance(period, dt.date) and not isinstance(period, dt.datetime):
        return period, period
    start, end = period
    if end < start:
        raise ValueError("period ends before it starts")
    return start, end


def _columns(basically_satisfied_counts: bool) -> list:
    satisfied = ("satisfied", "basically_satisfied") if basically_satisfied_counts else ("satisfied",)
    resolved = Ticket.resolved_at.is_null(False)
    overdue = Ticket.state.in_(OPEN_STATES) & (Ticket.due_at < clock.now())
    return [
        fn.COUNT(Rating.id).alias("bad"),
        _sum(Ticket.replied_at.is_null(False)).alias("replied"),
        _sum(Ticket.followup_result.in_(ANSWERS)).alias("followed_up"),
        _sum(Ticket.followup_result.in_(satisfied)).alias("satisfied"),
        _sum(resolved).alias("resolved"),
        _sum(resolved & (Ticket.resolved_at <= Ticket.due_at)).alias("on_time"),
        _sum(resolved & (Ticket.resolved_at > Ticket.due_at)).alias("resolved_late"),
        _sum(Ticket.on_the_spot).alias("on_the_spot"),
        _sum(Ticket.on_ledger).alias("on_ledger"),
        _sum(overdue).alias("overdue"),
        _sum(Ticket.state == "closed").alias("closed"),
    ]


def _bad_reviews(start: dt.date, end: dt.date, *columns):
    return (
        Rating.select(*columns)
        .join(Ticket, JOIN.LEFT_OUTER, on=(Ticket.rating == Rating.id))
        .where(
            Rating.is_bad
            & ~Rating.excluded
            & (Rating.created_at >= dt.datetime.combine(start, dt.time.min))
            & (Rating.created_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
        )
    )


def _measures(row: dict, basically_satisfied_counts: bool) -> dict:
    counts = {key: int(row.get(key) or 0) for key in FIELDS}
    return {
        **counts,
        "reply_rate": _rate(counts["replied"], counts["bad"]),
        "followup_rate": _rate(counts["followed_up"], counts["bad"]),
        "followup_satisfaction_rate": _rate(counts["satisfied"], counts["followed_up"]),
        "on_time_rate": _rate(counts["on_time"], counts["resolved"] + counts["overdue"]),
        "basically_satisfied_counts": basically_satisfied_counts,
    }


def rectification_figures(
    period, unit: str | None = None, unit_id=None, basically_satisfied_counts: bool = True, raw: bool = False
):
    """The measures for `unit` ("department", "hall", "window", "staff", "item"; None: district-wide)
    with id `unit_id` (or a model row) over `period`. See the module docstring for the formulas.
    District and department figures read the ticket rollup; the other units (or `raw`) the live query."""
    start, end = period_bounds(period)
    if unit is not None and unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)}")
    ident = getattr(unit_id, "id", unit_id)
    if unit in (None, "department") and not raw:
        rows = _rolled(start, end, ident if unit else None, basically_satisfied_counts)
        row = {key: sum(r.get(key, 0) for r in rows.values()) for key in FIELDS}
    else:
        query = _bad_reviews(start, end, *_columns(basically_satisfied_counts))
        if unit is not None:
            query = query.where(UNITS[unit] == ident)
        row = query.dicts().get()
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "unit": {"kind": unit or "district", "id": ident},
        **_measures(row, basically_satisfied_counts),
    }


def _rolled(start: dt.date, end: dt.date, department_id=None, basically_satisfied_counts: bool = True) -> dict:
    """{department id: FIELDS counts} from the ticket rollup, with "overdue now" counted live."""
    rows = {}
    for dept, counts in ticket_rollup.counts(start, end, department_id).items():
        counts = dict(counts)
        if basically_satisfied_counts:
            counts["satisfied"] += counts["basically_satisfied"]
        counts["overdue"] = 0
        rows[dept] = counts
    sql = ticket_rollup.overdue_sql(is_postgres(), OPEN_STATES)
    since, until = dt.datetime.combine(start, dt.time.min), dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)
    field = Ticket.created_at
    for dept, n in db.execute_sql(sql, (field.db_value(since), field.db_value(until), field.db_value(clock.now()))):
        if department_id is None or dept == department_id:
            rows.setdefault(dept, {key: 0 for key in FIELDS})["overdue"] = n
    return rows


def by_department(period, basically_satisfied_counts: bool = True, raw: bool = False) -> dict[int, dict]:
    """{department id: measures} over `period` (the report, the public page): from the ticket
    rollup, or with `raw` in one grouped live query."""
    start, end = period_bounds(period)
    if not raw:
        rows = _rolled(start, end, None, basically_satisfied_counts)
        return {dept: _measures(row, basically_satisfied_counts) for dept, row in rows.items() if row["bad"]}
    query = _bad_reviews(start, end, Rating.department, *_columns(basically_satisfied_counts))
    rows = query.group_by(Rating.department).dicts()
    return {row["department"]: _measures(row, basically_satisfied_counts) for row in rows}


def combine(measures: list[dict], basically_satisfied_counts: bool = True) -> dict:
    """The measures of several units together (a district total), from their counts."""
    return _measures({key: sum(m[key] for m in measures) for key in FIELDS}, basically_satisfied_counts)


def empty(basically_satisfied_counts: bool = True) -> dict:
    """The measures of a unit without any 差评 in the period."""
    return _measures({}, basically_satisfied_counts)


def open_now(department_id: int | None = None) -> dict:
    """Open tickets and those past their deadline right now, whenever they were opened."""
    query = Ticket.select(fn.COUNT(Ticket.id).alias("open"), _sum(Ticket.due_at < clock.now()).alias("overdue")).where(
        Ticket.state.in_(OPEN_STATES)
    )
    if department_id is not None:
        query = query.where(Ticket.department == department_id)
    row = query.dicts().get()
    return {"open": int(row["open"] or 0), "overdue": int(row["overdue"] or 0)}


FIELDS = (
    "bad",
    "replied",
    "followed_up",
    "satisfied",
    "resolved",
    "on_time",
    "resolved_late",
    "on_the_spot",
    "on_ledger",
    "overdue",
    "closed",
)


LABELS = {
    "bad": "差评数",
    "reply_rate": "差评回复率",
    "followup_rate": "回访整改率",
    "followup_satisfaction_rate": "回访整改满意率",
    "on_time_rate": "按期整改率",
    "overdue": "超期数",
    "resolved_late": "逾期办结数",
    "on_the_spot": "当场解决数",
    "on_ledger": "列入台账数",
    "closed": "已销号数",
}


def _sum(condition):
    return fn.COALESCE(fn.SUM(When(None, [(condition, 1)], 0)), 0)


def _rate(numerator: int, denominator: int):
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 2)
