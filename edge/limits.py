"""The client's address and the shared rate-limit counters, as a channel sees them.

The limits themselves (which endpoint counts against which group) are the
table in `ops/limits.py`; a channel that counts events outside a request (the
SMS bot's replies per phone) calls `allow` here, in the same store.
"""

import functools

from flask import current_app
from flask import request
from flask_limiter import Limiter
from limits import parse_many

from core.config import current_settings

# The app extension key under which ops/limits.py keeps the app's limiter.
EXTENSION = "hcp_limiter"


def client_ip() -> str:
    """The client's address: `remote_addr`, or behind `proxy_hops` trusted proxies
    the address the outermost of them saw (X-Forwarded-For, right to left)."""
    hops = current_settings().limits.proxy_hops
    if hops:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return request.remote_addr or "unknown"


def limiter() -> Limiter:
    return current_app.extensions[EXTENSION]


def allow(group: str, key: str) -> bool:
    """Count one event of `group` for `key` outside a request (the SMS bot's replies,
    per phone) in the same store; False once over the group's limit."""
    settings = current_settings().limits
    if not settings.enabled:
        return True
    ext = limiter()
    return all(ext.limiter.hit(item, settings.key_prefix, group, key) for item in _parsed(settings[group]))


@functools.lru_cache(maxsize=64)
def _parsed(limits: str) -> tuple:
    """A limit string ("10/hour;30/day") parsed once: the SMS inbox counts every reply."""
    return tuple(parse_many(limits))
