"""Business-system authentication: `Authorization: Bearer <api key>`."""

import functools

from flask import g
from flask import request

from core import clock
from core.errors import error
from models import ApiKey


def require_api_key(view):
    """Resolve the caller's key into `g.api_key` and `g.department`, or answer 401."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            error("missing_api_key", "缺少 API 密钥（Authorization: Bearer <key>）", 401)
        key = ApiKey.authenticate(token.strip())
        if key is None:
            error("invalid_api_key", "API 密钥无效或已停用", 401)
        now = clock.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            # Throttled so that a busy key does not write on every request.
            ApiKey.update(last_used_at=now).where(ApiKey.id == key.id).execute()
        g.api_key = key
        g.department = key.department
        return view(*args, **kwargs)

    return wrapped


def json_body():
    """The request's JSON document, or a 400 in the contract's shape."""
    data = request.get_json(silent=True, force=True)
    if data is None:
        error("invalid_json", "请求体必须是有效的 JSON（UTF-8）", 400)
    return data
