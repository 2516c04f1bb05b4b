"""`/public/results` and `/public/results.json`: a month's results by unit, for everyone (公开透明).

Any month up to the current one (partial until it closes); a closed month is served
from its frozen report and says when it was closed. Page and JSON carry the same
numbers (`figures.snapshot.MonthData.open_data`): counted first ratings by level,
好评率 (5+4+3 by default), 差评率, 未评率 and the rectification rates, each formula
shown on the page. No personal data.
"""

from flask import Blueprint
from flask import jsonify
from flask import render_template
from flask import request

from core.config import current_settings
from core.errors import error
from figures import period
from figures.snapshot import MonthData
from models import LEVEL_NAMES
from models import MonthReport

bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")

MONTHS_LISTED = 13
CACHE = {"Cache-Control": "public, max-age=300"}
FORMULAS = (
    "rated",
    "good_rate",
    "bad_rate",
    "unrated_rate",
    "reply_rate",
    "followup_rate",
    "followup_satisfied_rate",
    "on_time_rate",
)


def default_month() -> str:
    """The current month once it is closed, else the month before."""
    current = period.current_month()
    return current if MonthReport.latest(current) is not None else period.previous(current)


@bp.route("/results")
def results():
    month = period.parse_month(request.args.get("month"))
    if month is None or period.is_future(month):
        month = default_month()
    data = MonthData(month)
    months = period.recent(MONTHS_LISTED)
    if month not in months:
        months.append(month)
    body = render_template(
        "public/results.html",
        month=month,
        months=months,
        results=data.open_data(),
        closed=data.closed,
        closed_at=data.closed_at,
        version=data.version,
        amendments=data["amendments"],
        definitions=data["definitions"],
        formulas=FORMULAS,
        levels=LEVEL_NAMES,
        site=current_settings().public,
    )
    return body, 200, CACHE


@bp.route("/results.json")
def results_json():
    raw = request.args.get("month")
    month = default_month() if raw is None else period.parse_month(raw)
    if month is None:
        error("invalid_month", "month 应为 YYYY-MM 格式的月份", 400)
    if period.is_future(month):
        error("month_not_available", f"{month} 尚未开始：可查询截至本月（{period.current_month()}）的任一月份", 404)
    return jsonify(MonthData(month).open_data()), 200, CACHE
