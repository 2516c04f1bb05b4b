"""Text no database can store is refused up front, as a 400, on every route.

JSON may carry lone surrogates ("\\udb92", not encodable as UTF-8: every driver
fails) and NUL ("\\u0000", refused by PostgreSQL text columns); a form or a query
string may carry %00. Found by schemathesis as 500s on both backends.

A path with a control character (`/api/v1/cases/%00`, a poster's hall code) names
nothing: 404, before any other hook runs — before the database sees it (PostgreSQL
refuses NUL: a 500) and before a log line carries it raw.
"""

import re

from flask import request

from core.errors import ApiError
from core.errors import error
from edge.json import MAX_DEPTH
from edge.json import json_body

LIMIT_DEPTH = MAX_DEPTH
# C0 controls, DEL and C1 controls: no identifier of the product holds one.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def init_app(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_control_paths)
    app.before_request(refuse_unstorable_text)


def refuse_control_paths():
    if _CONTROL.search(request.path):
        error("not_found", "页面或资源不存在", 404)
    return None


def refuse_unstorable_text():
    req = request._get_current_object()  # once: every `request.x` goes through werkzeug's proxy
    environ = req.environ
    # The JSON APIs check their few query parameters themselves (a NUL code is an unknown code, 404);
    # pages pass free text (search boxes, filters) on to queries.
    if environ.get("QUERY_STRING") and not req.path.startswith("/api/") and _bad_strings(req.args.items(multi=True)):
        error("invalid_text", "请求中含有无法保存的字符（如 NUL 或不成对的代理字符）", 400)
    if environ["REQUEST_METHOD"] in ("POST", "PUT", "PATCH"):
        # The media type from the raw header: werkzeug's parsed properties cost more than the
        # check itself on every rating.
        mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
        if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if _bad_strings(req.form.items(multi=True)):
                error("invalid_text", "提交的内容中含有无法保存的字符（如 NUL）", 400)
        elif (_has_length(environ) or _is_json(mimetype)) and _may_hold_bad_text(req.get_data(cache=True)):
            try:
                data = json_body()  # kept on the request: the view reads the same object
            except ApiError:
                return None  # not JSON: the view that reads JSON says so, others ignore the body
            if _bad_json(data, 0):
                error("invalid_text", "JSON 中含有无法保存的字符（如 \\u0000 或不成对的代理字符）", 400)
    return None


def _has_length(environ) -> bool:
    return environ.get("CONTENT_LENGTH", "").strip() not in ("", "0")


def _is_json(mimetype: str) -> bool:
    # As werkzeug's `is_json`: application/json, or an application/…+json type.
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


# JSON can carry NUL or a surrogate only as a \u escape (raw UTF-8 cannot encode a surrogate,
# and a raw NUL byte is caught too): a body without one skips the walk (every tablet rating).
_SUSPECT = re.compile(rb"\x00|\\u(?:0000|[dD][89a-fA-F])")


def _may_hold_bad_text(body: bytes) -> bool:
    return _SUSPECT.search(body) is not None


def _bad(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _bad_strings(pairs) -> bool:
    return any(_bad(key) or _bad(value) for key, value in pairs if isinstance(value, str))


def _bad_json(value, depth: int) -> bool:
    if isinstance(value, str):
        return _bad(value)
    if depth > LIMIT_DEPTH:
        return False
    if isinstance(value, dict):
        return any(_bad(key) or _bad_json(item, depth + 1) for key, item in value.items())
    if isinstance(value, list):
        return any(_bad_json(item, depth + 1) for item in value)
    return False
