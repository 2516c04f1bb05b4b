"""Plain counts of bad-review tickets per department, straight from `Ticket`.

These are the counts the admin and the monthly report show next to the rating
figures; the rectification rates of GB/T 39734 (差评回复率, 回访整改率,
回访整改满意率) come from `figures.rectification` of the workflow.

- tickets : tickets opened in the period (one per counted or excluded 差评)
- replied : of those, answered to the citizen (`replied_at` set)
- closed  : of those, closed (销号)
- overdue : of those, still open (nothing done yet) after their deadline, as of now
"""

import datetime as dt

from peewee import Case as SqlCase
from peewee import fn

from core import clock
from models import Ticket

# A ticket whose deadline matters: nothing has been done about it yet.
OPEN_STATES = ("new", "verifying", "rectifying", "appeal")


def _columns():
    overdue = Ticket.state.in_(OPEN_STATES) & (Ticket.due_at < clock.now())
    return (
        fn.COUNT(Ticket.id).alias("tickets"),
        fn.SUM(SqlCase(None, [(Ticket.replied_at.is_null(False), 1)], 0)).alias("replied"),
        fn.SUM(SqlCase(None, [(Ticket.state == "closed", 1)], 0)).alias("closed"),
        fn.SUM(SqlCase(None, [(overdue, 1)], 0)).alias("overdue"),
    )


def _period(start: dt.date, end: dt.date):
    return (Ticket.created_at >= dt.datetime.combine(start, dt.time())) & (
        Ticket.created_at < dt.datetime.combine(end, dt.time())
    )


def clean(row: dict) -> dict:
    return {k: int(row.get(k) or 0) for k in ("tickets", "replied", "closed", "overdue")}


def counts(start: dt.date, end: dt.date, department_id: int | None = None) -> dict:
    cond = _period(start, end)
    if department_id is not None:
        cond &= Ticket.department == department_id
    return clean(Ticket.select(*_columns()).where(cond).dicts().get())


def by_department(start: dt.date, end: dt.date) -> dict[int, dict]:
    rows = Ticket.select(Ticket.department, *_columns()).where(_period(start, end)).group_by(Ticket.department).dicts()
    return {r["department"]: clean(r) for r in rows}


def open_now(department_id: int | None = None) -> dict:
    """Open tickets and overdue ones right now, whenever they were opened."""
    cond = Ticket.state.in_(OPEN_STATES)
    if department_id is not None:
        cond &= Ticket.department == department_id
    row = (
        Ticket.select(
            fn.COUNT(Ticket.id).alias("open"),
            fn.SUM(SqlCase(None, [(Ticket.due_at < clock.now(), 1)], 0)).alias("overdue"),
        )
        .where(cond)
        .dicts()
        .get()
    )
    return {"open": int(row["open"] or 0), "overdue": int(row["overdue"] or 0)}
