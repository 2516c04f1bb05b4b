"""The dashboard's filters from the query string, always inside the user's scope."""

import datetime as dt

from flask import g
from flask import request

from core import clock
from core.config import current_settings
from edge.params import arg_date
from edge.params import arg_int
from figures.ratings import Filters
from figures.ratings import level_distribution
from figures.ratings import month_range
from figures.ratings import next_month
from models import CHANNELS
from models import Department
from models import Hall
from models import Item
from models import Staff
from models import Window


def _int(name: str):
    return arg_int(name)


def _date(name: str):
    return arg_date(name)


def period_from_request(department_id=None) -> tuple[dt.date, dt.date, str, str | None]:
    """(start, end exclusive, label, why the default): `month=YYYY-MM`, or `from`/`to` dates, else
    the current month once it has `figures.current_month_min_rated` counted ratings in the scope,
    else the last complete month."""
    month = request.args.get("month", "")
    start, end = _date("from"), _date("to")
    if start and end and start <= end:
        return start, end + dt.timedelta(days=1), f"{start} 至 {end}", None
    try:
        start, end = month_range(month)
    except ValueError:
        start, end, why = _default_month(department_id)
        return start, end, f"{start:%Y年%m月}", why
    return start, end, f"{start:%Y年%m月}", None


def _default_month(department_id) -> tuple[dt.date, dt.date, str | None]:
    start = clock.today().replace(day=1)
    end = next_month(start)
    needed = current_settings().figures.current_month_min_rated
    rated = sum(level_distribution(Filters(start=start, end=end, department_id=department_id)).values())
    if rated >= needed:
        return start, end, None
    previous = (start - dt.timedelta(days=1)).replace(day=1)
    why = f"本月评价数 {rated} 条，不足 {needed} 条，默认显示上月（最近一个完整月份）；可在上方选择本月。"
    return previous, start, why


def filters_from_request() -> tuple[Filters, dict]:
    department_id = g.scope.department_id if not g.scope.all else _int("department")
    start, end, label, why = period_from_request(department_id)
    channel = request.args.get("channel") or None
    if channel not in CHANNELS:
        channel = None
    staff = _in_scope(Staff, "staff")
    item = _in_scope(Item, "item")
    f = Filters(
        start=start,
        end=end,
        department_id=department_id,
        hall_id=_int("hall"),
        window_id=_int("window"),
        staff_id=staff.id if staff else None,
        item_id=item.id if item else None,
        channel=channel,
    )
    return f, {"period": label, "staff": staff, "item": item, "default_note": why}


class _NotFound:
    """A unit code that does not exist or is another department's: it matches nothing."""

    id = -1
    name = "（未找到该编号）"


def _in_scope(model, name: str):
    code = request.args.get(name, "").strip()
    if not code:
        return None
    row = model.by_code(code)
    if row is None or (not g.scope.all and row.department_id != g.scope.department_id):
        return _NotFound()
    return row


def filter_choices() -> dict:
    """Options of the filter form, limited to what the user may see."""
    departments = Department.directory()
    windows = Window.select(Window.id, Window.name, Window.code).order_by(Window.code)
    halls = Hall.select(Hall.id, Hall.name).order_by(Hall.id)
    if not g.scope.all:
        departments = [d for d in departments if d.id == g.scope.department_id]
        windows = windows.where(Window.department == g.scope.department_id)
        halls = halls.where(Hall.id.in_(Window.select(Window.hall).where(Window.department == g.scope.department_id)))
    return {"departments": departments, "halls": list(halls), "windows": list(windows), "channels": CHANNELS}
