"""QR posters of windows and halls, drawn by `wechat.posters` (imported lazily).

`window_poster(window) -> bytes` and `hall_posters(hall) -> bytes`; the
content type is read from the bytes (PNG or PDF).
"""

import importlib

from flask import Response
from flask import abort
from flask import g
from flask import render_template

from models import Hall
from models import Window

from . import bp
from . import security

POSTERS_MODULE = "wechat.posters"


def _media_type(data: bytes) -> tuple[str, str]:
    if data.startswith(b"%PDF"):
        return "application/pdf", "pdf"
    if data.startswith(b"\x89PNG"):
        return "image/png", "png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg", "jpg"
    return "application/zip", "zip"


@bp.route("/master/<kind>/<int:row_id>/poster")
@security.roles("bureau", "dept_admin", "auditor")
def qr_poster(kind: str, row_id: int):
    model = {"window": Window, "hall": Hall}.get(kind)
    if model is None:
        abort(404)
    row = model.get_or_none(model.id == row_id)
    if row is None:
        abort(404)
    g.scope.check(row.department_id)
    try:
        posters = importlib.import_module(POSTERS_MODULE)
    except ImportError:
        return render_template("error.html", status=503, message="二维码海报模块尚未启用"), 503
    try:
        data = posters.window_poster(row) if kind == "window" else posters.hall_posters(row)
    except posters.FAILURES as exc:  # WeChat not configured or refusing, no CJK font, no windows
        _code, message, status = posters.failure(exc)
        return render_template("error.html", status=status, message=message), status
    media, ext = _media_type(data)
    security.audit("poster.download", f"{kind}:{row.code}")
    return Response(
        data, mimetype=media, headers={"Content-Disposition": f'attachment; filename="poster-{row.code}.{ext}"'}
    )
