"""The monthly report page and its xlsx download, from the month's report (frozen once closed)."""

from flask import Response
from flask import abort
from flask import g
from flask import render_template
from flask import request

from core import clock
from edge.params import arg_int
from figures import monthly
from figures.definitions import LEVELS
from figures.ratings import month_range
from figures.snapshot import MonthData
from models import LEVEL_NAMES
from models import Department

from . import bp
from . import security


def _month() -> str:
    month = request.args.get("month", "")
    try:
        month_range(month)
    except ValueError:
        first = clock.today().replace(day=1)
        return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"
    return month


@bp.route("/reports")
@security.roles("bureau", "dept_admin", "auditor")
def reports():
    month = _month()
    data = MonthData(month)
    own = g.scope.department_id
    rows = [r for r in data["units"] if own is None or r["id"] == own]
    amendments = [{**a, "units": [u for u in a["units"] if own is None or u["id"] == own]} for a in data["amendments"]]
    return render_template(
        "admin/reports.html",
        month=month,
        rows=rows,
        total=data["district"] if g.scope.all else None,
        amendments=[a for a in amendments if a["units"]],
        definitions=data["definitions"],
        note=monthly.status_note(data),
        levels=LEVELS,
        level_names=LEVEL_NAMES,
    )


@bp.route("/reports/monthly.xlsx")
@security.roles("bureau", "dept_admin", "auditor")
def report_download():
    month = _month()
    department = None
    dept_id = request.args.get("department", "")
    if dept_id:
        department = Department.get_or_none(Department.id == arg_int("department")) if arg_int("department") else None
        if department is None:
            abort(404)
        g.scope.check(department.id)
    elif not g.scope.all:
        abort(403)  # the district-wide report is the bureau's and the auditor's
    data = monthly.build(month, department)
    security.audit("report.export", f"report:{month}", dept=department.code if department else None)
    name = monthly.filename(month, department)
    from urllib.parse import quote

    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=\"report-{month}.xlsx\"; filename*=UTF-8''{quote(name)}"
        },
    )
