"""The browser's pseudonymous rater reference: a signed, long-lived cookie.

The H5 pages know no phone and no login; `browser:<token>` is what the rating
core counts on-site ratings against (per rater, window and day).
"""

import secrets

from flask import request
from itsdangerous import BadSignature

from core.config import current_settings
from edge.signing import serializer

COOKIE = "hcp_rater"
SALT = "hcp.browser.rater"
MAX_AGE = 365 * 24 * 3600


def current_token() -> str | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 200:
        return None
    try:
        token = serializer(SALT).loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def token() -> str:
    """This browser's token; a new one (kept for this request) when it has none."""
    return current_token() or request.environ.setdefault("hcp.rater", new_token())


def ensure(response):
    """Give the browser its rater cookie if it has none (returns the response)."""
    if current_token() is None:
        secure = current_settings().app.base_url.startswith("https://")
        response.set_cookie(
            COOKIE,
            serializer(SALT).dumps(token()),
            max_age=MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
    return response


def new_token() -> str:
    return secrets.token_urlsafe(16)


def rater_ref(token: str) -> str:
    return f"browser:{token}"
