"""考核 (for 区营商办) and 问题分析 pages of a month, from the month's report (frozen once closed)."""

from urllib.parse import quote

from flask import Response
from flask import g
from flask import render_template
from flask import request

from figures import assessment as scoring
from figures import period
from figures.monthly import status_note
from figures.snapshot import MonthData

from . import bp
from . import security

MONTHS_LISTED = 13


def _month() -> str:
    """`?month=`, else the last complete month."""
    month = period.parse_month(request.args.get("month"))
    if month is None or period.is_future(month):
        return period.previous(period.current_month())
    return month


@bp.route("/assessment")
@security.roles("bureau", "auditor")
def assessment():
    month = _month()
    data = MonthData(month)
    return render_template(
        "admin/assessment.html",
        month=month,
        months=period.recent(MONTHS_LISTED),
        result=data["assessment"],
        data=data,
        note=status_note(data),
        rules=scoring.rules_text(),
        weights=scoring.SOURCE,
    )


@bp.route("/assessment.xlsx")
@security.roles("bureau", "auditor")
def assessment_download():
    month = _month()
    data = MonthData(month)
    body = scoring.build_xlsx(month, data["assessment"], status_note(data))
    security.audit("assessment.export", f"assessment:{month}")
    name = f"好差评考核得分-{month}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=\"assessment-{month}.xlsx\"; filename*=UTF-8''{quote(name)}"
        },
    )


@bp.route("/analysis")
def analysis():
    """Labels and comment terms of a month, in the user's scope."""
    month = _month()
    data = MonthData(month)
    found = data["analysis"]
    name = None
    if not g.scope.all:
        name = next((r["name"] for r in data["units"] if r["id"] == g.scope.department_id), "")
    labels = [r for r in found["labels"]["rows"] if name is None or r["department"] == name]
    by_label = found["labels"]["by_label"] if name is None else _totals(labels)
    terms = found["terms"]["terms"] if name is None else found["terms"]["by_unit"].get(name, [])
    return render_template(
        "admin/analysis.html",
        month=month,
        months=period.recent(MONTHS_LISTED),
        labels=labels,
        by_label=by_label,
        terms=terms,
        by_unit=found["terms"]["by_unit"] if name is None else {},
        comments=found["terms"]["comments"] if name is None else found["terms"].get("unit_comments", {}).get(name, 0),
        note=status_note(data),
        definitions=data["definitions"],
    )


def _totals(rows: list[dict]) -> list[dict]:
    totals: dict = {}
    for r in rows:
        entry = totals.setdefault(r["code"], {"code": r["code"], "text": r["text"], "count": 0, "previous": 0})
        entry["count"] += r["count"]
        entry["previous"] += r["previous"]
    for entry in totals.values():
        entry["change"] = entry["count"] - entry["previous"]
    return sorted(totals.values(), key=lambda e: (-e["count"], e["code"]))
