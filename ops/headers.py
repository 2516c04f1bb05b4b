"""Security headers on every answer (pages, JSON, files, errors), and the answer counted.

No template has an inline script (the H5 page loads rate.js), so scripts are
`'self'` only; a few templates carry inline `style` attributes, hence
`style-src 'unsafe-inline'` (styles cannot run code). Framing is refused
everywhere: no page of the product is meant to be embedded.

Both happen in a WSGI middleware around the app, on the plain header list Flask
hands to the server: the two after_request hooks they were (werkzeug's validated
`Headers.add` per header, Flask's hook loop) were 5-7 % of a tablet rating's CPU.
It also sees the answers after_request never does (an error inside a hook).
"""

from . import metrics

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

HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
_HEADERS = tuple((name.lower(), (name, value)) for name, value in HEADERS)
_HSTS = "strict-transport-security"


def init_app(app) -> None:
    app.wsgi_app = Answers(app.wsgi_app, app.config["SETTINGS"].app.hsts_seconds)


class Answers:
    """WSGI middleware: every answer gets the security headers a view did not set itself
    (HSTS only over HTTPS: directly, or behind nginx with X-Forwarded-Proto, see
    deploy/nginx.conf) and is counted by status class for /metrics."""

    def __init__(self, wsgi_app, hsts_seconds: int):
        self.wsgi_app = wsgi_app
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds else None

    def __call__(self, environ, start_response):
        counted = environ.get("PATH_INFO") != metrics.PATH  # a scrape does not count itself
        secure = self.hsts is not None and (
            environ.get("wsgi.url_scheme") == "https" or environ.get("HTTP_X_FORWARDED_PROTO") == "https"
        )

        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers = list(headers)
            headers.extend(header for lower, header in _HEADERS if lower not in present)
            if secure and _HSTS not in present:
                headers.append(("Strict-Transport-Security", self.hsts))
            if counted:
                metrics.count_answer(status)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
