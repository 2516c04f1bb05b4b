"""The one way a JSON request body is read."""

from flask import request

from core.errors import error


def json_body():
    """The request's JSON document, or a 400 in the contract's shape."""
    data = request.get_json(silent=True, force=True)
    if data is None:
        error("invalid_json", "请求体必须是有效的 JSON（UTF-8）", 400)
    return data


def addendum_flag(body: dict) -> bool:
    """A rating body's 追评 flag: `addendum`, or `followup` (its deprecated name)."""
    name = "addendum" if "addendum" in body else "followup"
    value = body.get(name, False)
    if not isinstance(value, bool):
        error("invalid_addendum", f"{name} 必须是 true 或 false", 422)
    return value
