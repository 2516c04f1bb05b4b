"""`/qr/…`: the codes and printable posters, for the admin to link to.

/qr/windows/<code>/poster.png   /qr/staff/<code>/poster.png   /qr/halls/<code>/posters.pdf
/qr/windows/<code>/wxacode.png  /qr/windows/<code>/qrcode.png (and the same under /qr/staff/)

Posters are kept once drawn (wechat/posters.py), served with an ETag, and counted
against a lower rate limit than the other public routes (`limits.heavy_ip`).
"""

import io

from flask import Blueprint
from flask import Response
from flask import request
from flask import send_file

from core.errors import error
from models import Hall
from models import Staff
from models import Window

from . import posters
from .client import WeChatError
from .qrcodes import failure
from .qrcodes import plain_qr
from .qrcodes import wxacode

bp = Blueprint("qr", __name__, url_prefix="/qr")
KINDS = {"windows": Window, "staff": Staff}
# Posters change when a hall's windows or names do: a browser may keep one five minutes.
POSTER_MAX_AGE = 300


def _target(kind: str, code: str):
    model = KINDS.get(kind)
    target = model.by_code(code) if model is not None and len(code) <= 64 else None
    if target is None:
        error("not_found", "没有找到该窗口或工作人员", 404)
    return target


def _image(data: bytes, mimetype: str, name: str):
    return send_file(io.BytesIO(data), mimetype=mimetype, download_name=name, max_age=3600)


def _wechat_failed(exc: WeChatError):
    error(*failure(exc))


@bp.get("/<kind>/<code>/qrcode.png")
def qrcode_png(kind, code):
    target = _target(kind, code)
    return _image(plain_qr(target), "image/png", f"{target.code}-qrcode.png")


@bp.get("/<kind>/<code>/wxacode.png")
def wxacode_png(kind, code):
    target = _target(kind, code)
    try:
        data, mimetype = wxacode(target)
    except WeChatError as exc:
        _wechat_failed(exc)
    return _image(data, mimetype, f"{target.code}-wxacode.png")


@bp.get("/<kind>/<code>/poster.png")
def poster_png(kind, code):
    target = _target(kind, code)
    return _poster("window" if kind == "windows" else "staff", target, f"{target.code}-poster.png")


@bp.get("/halls/<code>/posters.pdf")
def hall_pdf(code):
    hall = Hall.by_code(code) if len(code) <= 64 else None
    if hall is None:
        error("not_found", "没有找到该大厅", 404)
    return _poster("hall", hall, f"{hall.code}-posters.pdf")


def _poster(kind: str, target, name: str):
    """The kept poster (drawn once per change), with its ETag: an unchanged copy gets a 304."""
    try:
        found = posters.poster(kind, target, request.if_none_match)
    except posters.FAILURES as exc:
        error(*posters.failure(exc))
    if found.data is None:
        response = Response(status=304)
    else:
        response = send_file(io.BytesIO(found.data), mimetype=found.content_type, download_name=name)
    response.set_etag(found.etag)
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = POSTER_MAX_AGE
    return response
