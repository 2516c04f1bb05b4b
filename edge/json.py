"""The one way a JSON request body is read, on every JSON route (the SMS callbacks and
the text guard in ops/guard.py included).

A body is at most `app.max_body_kb` (413 otherwise) and nested at most `MAX_DEPTH`
containers deep; anything that is not such a JSON document is a 400 in the contract's
shape. Python's decoder recurses once per level: a body of 100,000 `[` raised a
RecursionError (a 500) before this check. The decoded document is kept on the request,
so a body is decoded once however many readers it has.
"""

import json

from flask import current_app
from flask import request

from core.errors import error

# Deeper than any document of the contract (a batch of cases is 3 deep).
MAX_DEPTH = 32
_KEPT = "hcp.json_body"


def json_body():
    """The request's JSON document, or a 400 (413) in the contract's shape."""
    kept = request.environ.get(_KEPT)
    if kept is None:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 2 * 1024 * 1024
        kept = request.environ[_KEPT] = (decode(request.get_data(cache=True), limit),)
    return kept[0]


def decode(data: bytes, limit: int):
    """`data` as JSON, or ApiError: 413 beyond `limit` bytes, 400 when it is not JSON or too deep."""
    if len(data) > limit:
        error("payload_too_large", f"请求内容过大（最多 {limit // 1024} KB）", 413)
    try:
        value = json.loads(data, parse_constant=_no_constant)
    except RecursionError:
        error("json_too_deep", f"JSON 嵌套过深（最多 {MAX_DEPTH} 层）", 400)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError, an integer of thousands of digits
        error("invalid_json", "请求体必须是有效的 JSON（UTF-8）", 400)
    # Counting brackets is C-fast; only a body with many of them is walked.
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and deeper_than(value, MAX_DEPTH):
        error("json_too_deep", f"JSON 嵌套过深（最多 {MAX_DEPTH} 层）", 400)
    return value


def deeper_than(value, limit: int) -> bool:
    """Whether `value` nests more than `limit` containers deep (iterative: no recursion to overflow)."""
    if not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def _no_constant(name: str):
    # NaN and Infinity are not JSON (RFC 8259), and no number of the contract is one.
    raise ValueError(f"{name} is not JSON")


def addendum_flag(body: dict) -> bool:
    """A rating body's 追评 flag: `addendum`, or `followup` (its deprecated name)."""
    name = "addendum" if "addendum" in body else "followup"
    value = body.get(name, False)
    if not isinstance(value, bool):
        error("invalid_addendum", f"{name} 必须是 true 或 false", 422)
    return value
