"""`/public/results`: monthly results by department for everyone (公开透明).

No personal data: departments only, with counted ratings, levels, 好评率, 差评数
and the rectification rates (差评回复率, 回访整改满意率). A month is shown once it is over.
"""

import datetime as dt

from flask import Blueprint
from flask import render_template
from flask import request

from core import clock
from core.config import current_settings
from figures import ratings as figures
from figures import rectification
from figures.ratings import Filters
from figures.ratings import month_range
from models import DEPARTMENT_KINDS
from models import LEVEL_NAMES

bp = Blueprint("public", __name__, url_prefix="/public", template_folder="templates")

MONTHS_LISTED = 12


def _months() -> list[str]:
    """The last completed months, newest first."""
    first = clock.today().replace(day=1)
    index = first.year * 12 + first.month - 1
    return [f"{(index - n) // 12}-{(index - n) % 12 + 1:02d}" for n in range(1, MONTHS_LISTED + 1)]


@bp.route("/results")
def results():
    months = _months()
    month = request.args.get("month", months[0])
    if month not in months:
        month = months[0]
    start, end = month_range(month)
    rows = figures.by_department(Filters(start=start, end=end))
    basic = current_settings().rectification.basically_satisfied_counts
    measures = rectification.by_department((start, end - dt.timedelta(days=1)), basic)
    for r in rows:
        r["rect"] = measures.get(r["department"].id) or rectification.empty(basic)
    rated = sum(r["rated"] for r in rows)
    good = sum(r["good"] for r in rows)
    response = render_template(
        "public/results.html",
        month=month,
        months=months,
        rows=rows,
        kinds=DEPARTMENT_KINDS,
        levels=LEVEL_NAMES,
        rated=rated,
        good_rate=figures.rate(good, rated),
        bad=sum(r["bad"] for r in rows),
        basic_counts=figures.good_levels() == (5, 4, 3),
    )
    return response, 200, {"Cache-Control": "public, max-age=300"}
