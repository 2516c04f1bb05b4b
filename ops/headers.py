"""Security headers on every answer (pages, JSON, files).

No template has an inline script (the H5 page loads rate.js), so scripts are
`'self'` only; a few templates carry inline `style` attributes, hence
`style-src 'unsafe-inline'` (styles cannot run code). Framing is refused
everywhere: no page of the product is meant to be embedded.
"""

from flask import request

from core.config import current_settings

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app) -> None:
    app.after_request(add_headers)


HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def add_headers(response):
    headers = response.headers
    # One pass over the few headers already set; werkzeug's setdefault raises and catches a
    # KeyError per missing header, which cost more than the rest of a rating's response.
    present = {name.lower() for name, _ in headers}
    for name, value in HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    hsts = current_settings().app.hsts_seconds
    # Only over HTTPS (behind nginx: X-Forwarded-Proto, see deploy/nginx.conf).
    if hsts and (request.is_secure or request.headers.get("X-Forwarded-Proto") == "https"):
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    return response
