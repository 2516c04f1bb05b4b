"""The one way a JSON request body is read."""

from flask import request

from core.errors import error


def json_body():
    """The request's JSON document, or a 400 in the contract's shape."""
    data = request.get_json(silent=True, force=True)
    if data is None:
        error("invalid_json", "请求体必须是有效的 JSON（UTF-8）", 400)
    return data
