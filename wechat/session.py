"""The mini program's session: our own signed, expiring token for an openid.

The token carries the openid only, signed with the app's secret key; the
session_key from code2Session stays in the database (`WxUser`), encrypted.
"""

import functools

from flask import g
from flask import request
from itsdangerous import BadSignature
from itsdangerous import SignatureExpired
from itsdangerous import URLSafeTimedSerializer

from core.config import current_settings
from core.errors import error
from edge.signing import serializer

SALT = "hcp.wx.session"


def _serializer() -> URLSafeTimedSerializer:
    return serializer(SALT)


def peek_openid(token: str) -> str | None:
    """The openid a token names when its signature holds, expired or not (the
    rate limiter's key: an expired token is refused by the view anyway)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    openid = data.get("o") if isinstance(data, dict) else None
    return openid if isinstance(openid, str) and openid else None


def ttl_seconds() -> int:
    return current_settings().wechat.session_ttl_hours * 3600


def issue(openid: str) -> str:
    return _serializer().dumps({"o": openid})


def verify(token: str) -> str:
    try:
        data = _serializer().loads(token, max_age=ttl_seconds())
    except SignatureExpired:
        error("token_expired", "登录已过期，请重新登录", 401)
    except BadSignature:
        error("invalid_token", "登录凭证无效，请重新登录", 401)
    openid = data.get("o") if isinstance(data, dict) else None
    if not isinstance(openid, str) or not openid:
        error("invalid_token", "登录凭证无效，请重新登录", 401)
    return openid


def require_wx_user(view):
    """`Authorization: Bearer <token>` from /api/wx/login → `g.openid`."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip() or len(token) > 512:
            error("missing_token", "请先登录（Authorization: Bearer <token>）", 401)
        g.openid = verify(token.strip())
        return view(*args, **kwargs)

    return wrapped
