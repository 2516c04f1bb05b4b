"""Business-system authentication: `Authorization: Bearer <api key>`.

An authenticated key and its department are cached per process for
`KEY_TTL` seconds (the hot path of every device and business system): a key
revoked in the admin stops working at once in the admin's process and within
`KEY_TTL` seconds in every other worker. Unknown or revoked keys are never
cached, so a new key works at once.
"""

import functools
import hashlib

from flask import g
from flask import request

from core import clock
from core.cache import TtlCache
from core.errors import error
from models import ApiKey

KEY_TTL = 30
# sha256(token) → (key, department); the token itself is not kept in memory.
_keys = TtlCache(KEY_TTL, size=512)


def require_api_key(view):
    """Resolve the caller's key into `g.api_key` and `g.department`, or answer 401."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            error("missing_api_key", "缺少 API 密钥（Authorization: Bearer <key>）", 401)
        key, department = authenticate(token.strip())
        now = clock.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            # Throttled so that a busy key does not write on every request.
            ApiKey.update(last_used_at=now).where(ApiKey.id == key.id).execute()
            key.last_used_at = now
        g.api_key = key
        g.department = department
        return view(*args, **kwargs)

    return wrapped


def authenticate(token: str):
    """(key, department) for a valid token (cached), or a 401."""
    digest = hashlib.sha256(token.encode()).digest()
    hit = _keys.get(digest)
    if hit is not None:
        return hit
    key = ApiKey.authenticate(token)
    if key is None:
        error("invalid_api_key", "API 密钥无效或已停用", 401)
    hit = (key, key.department)
    _keys.put(digest, hit)
    return hit
