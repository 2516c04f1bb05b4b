"""The import page: upload, then either everything is written or nothing and the error report."""

import base64
import csv
import io
from urllib.parse import quote

from flask import Response
from flask import abort
from flask import render_template
from flask import request

from core import clock
from figures.xlsx import safe
from figures.xlsx import to_bytes

from . import bp
from . import importers
from . import security


def _last_month() -> str:
    first = clock.today().replace(day=1)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


@bp.route("/imports", methods=["GET", "POST"], endpoint="imports")
@security.roles("bureau")
def imports_page():
    report, missing = None, None
    if request.method == "POST":
        kind = request.form.get("kind", "")
        upload = request.files.get("file")
        if kind not in importers.KINDS:
            abort(400)
        if upload is None or not upload.filename:
            missing = "请选择要导入的文件（.xlsx 或 .csv）"
        else:
            report = importers.run(
                kind, upload.filename, upload.read(), security.actor(), month=request.form.get("month", "")
            )
    return render_template(
        "admin/imports.html",
        error_csv=error_csv(report) if report is not None and not report.ok else None,
        kinds={k: m.TITLE for k, m in importers.KINDS.items()},
        kind=request.form.get("kind", ""),
        report=report,
        missing=missing,
        month=request.form.get("month") or _last_month(),
    ), (422 if missing or (report is not None and not report.ok) else 200)


def error_csv(report) -> str:
    """The error report as a CSV (base64, for a download link that needs no second request)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["行号", "列", "问题"])
    for row, column, message in report.problems:
        writer.writerow([safe(str(row)), safe(column), safe(message)])
    return base64.b64encode(("\ufeff" + buffer.getvalue()).encode()).decode()


@bp.route("/imports/template/<kind>.xlsx")
@security.roles("bureau")
def import_template(kind: str):
    module = importers.KINDS.get(kind)
    if module is None:
        abort(404)
    from .importers import template  # openpyxl's styles: loaded by the first download, not by every worker

    return Response(
        to_bytes(template.workbook(kind)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=\"{kind}.xlsx\"; filename*=UTF-8''{quote(module.TITLE)}.xlsx"
        },
    )
