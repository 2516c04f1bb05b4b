"""The contract's error shape on every answer, for JSON routes and readable pages alike.

JSON routes answer `{"error": {"code", "message"}}` with a 4xx; pages get a
short Chinese page. A bug still gives a 500, but never an HTML page on a JSON
route and never a traceback to the client.
"""

import logging

from flask import jsonify
from flask import make_response
from flask import render_template
from flask import request
from peewee import OperationalError
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException

from core.errors import ApiError

from . import database

log = logging.getLogger(__name__)

# Chinese messages for errors that Werkzeug raises before our code runs.
_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "需要登录或有效的密钥"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "页面或资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "请求内容类型不受支持"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


def wants_json() -> bool:
    path = request.path
    return path.startswith(("/api/", "/sms/", "/healthz")) or path.endswith(".json") or request.is_json


def _respond(code: str, message: str, status: int):
    if wants_json():
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("error.html", status=status, message=message), status


def handle_api_error(exc: ApiError):
    if wants_json():
        return jsonify(exc.to_dict()), exc.status
    return render_template("error.html", status=exc.status, message=exc.message), exc.status


def handle_http_error(exc: HTTPException):
    code, message = _HTTP_MESSAGES.get(exc.code, ("http_error", exc.name))
    return _respond(code, message, exc.code or 500)


def handle_database_busy(exc: Exception):
    """Every connection or the SQLite write lock is taken past the busy timeout, or the
    connection was lost (and the request ran once more, or could not): a 503 that tells
    the caller to retry, not a 500."""
    if database.lost(exc):
        return _busy()
    if isinstance(exc, OperationalError) and not _retryable(exc):
        return handle_unexpected(exc)
    log.warning("database busy on %s %s: %s", request.method, request.path, exc)
    return _busy()


def _busy():
    response = make_response(_respond("database_busy", "系统繁忙，请稍后重试", 503))
    response.headers["Retry-After"] = "2"
    return response


# PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back
# whole, and the same request may succeed when repeated.
_RETRY_PGCODES = ("40P01", "40001")


def _retryable(exc: Exception) -> bool:
    text = str(exc)
    if "locked" in text or "timeout" in text:  # SQLite's busy timeout, the pool's wait
        return True
    for cause in (getattr(exc, "orig", None), exc.__cause__, exc.__context__):  # peewee keeps the driver's as .orig
        if getattr(cause, "pgcode", None) in _RETRY_PGCODES:
            return True
    return False


def handle_unexpected(exc: Exception):
    if database.lost(exc):  # an InterfaceError from a ROLLBACK on the dead connection, say
        return _busy()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _respond("internal_error", "服务器内部错误，请稍后再试", 500)


def init_app(app) -> None:
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(OperationalError, handle_database_busy)
    app.register_error_handler(MaxConnectionsExceeded, handle_database_busy)
    app.register_error_handler(Exception, handle_unexpected)
