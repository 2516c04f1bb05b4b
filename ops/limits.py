"""Rate limits on every public endpoint (Flask-Limiter), configured in `[limits]`.

Each group of endpoints has its own limit and its own key:

| group            | endpoints                                   | counted per                         |
|------------------|---------------------------------------------|-------------------------------------|
| web_ip           | `/r/<code>`, `/q/<scene>` (the rate pages)  | client IP                           |
| web_rater        | the same, POST only                         | the browser's rater cookie          |
| web_phone        | `/q/<scene>` POST that leaves a phone       | the phone (a keyed hash of it)      |
| web_otp_ip       | `/q/<scene>` POST asking for an SMS code    | client IP                           |
| wx_login_ip      | `/api/wx/login`                             | client IP                           |
| wx_user          | every other `/api/wx/*`                     | the WeChat user of the session token|
| sms_ip           | `/sms/aliyun/*` (Aliyun pushes batches)     | client IP                           |
| sms_phone        | SMS replies handled by the bot (a job)      | the sending phone (a keyed hash)    |
| api_key          | `/api/v1/*`                                 | the API key (its public prefix)     |
| admin_login_ip   | `/admin/login` POST (besides the lockout)   | client IP                           |
| public_ip        | `/public/*`, `/qr/*`                        | client IP                           |
| heavy_ip         | `/qr/…/poster.png`, `/qr/halls/…/posters.pdf` (besides public_ip) | client IP     |

Each group shares one counter across its routes. The counters live in
`storage_uri`: `memory://` is per process (the embedded default, one
process); several gunicorn workers must share Redis (`redis://…`), and start-up
warns loudly when they do not (`warn_if_per_process`). A breach
answers 429: the contract's JSON error on JSON routes, a Chinese page on pages,
with `Retry-After`.
"""

import logging
import math
import os
import re
import sys
import time

from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from flask_limiter import Limiter
from flask_limiter import RateLimitExceeded

from core.codes import normalize_phone
from core.crypto import phone_hash
from edge.limits import EXTENSION
from edge.limits import client_ip
from edge.limits import limiter
from web import rater
from wechat import session

from .errors import wants_json

log = logging.getLogger(__name__)

# -- the keys ------------------------------------------------------------------


def _ip() -> str:
    return "ip:" + client_ip()


def _rater() -> str:
    token = rater.current_token()
    return f"rater:{token}" if token else _ip()


def _phone() -> str:
    phone = normalize_phone(request.form.get("phone", "").strip()) if request.form.get("phone") else None
    return "phone:" + phone_hash(phone) if phone else ""


def _wx_user() -> str:
    """The openid in the session token (signature checked, expiry not: an expired
    token is refused by the view anyway); without a valid token, the IP."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and 0 < len(token) <= 512:
        openid = session.peek_openid(token.strip())
        if openid:
            return "wx:" + openid
    return _ip()


def _api_key() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    parts = token.strip().split("_", 2)
    if scheme.lower() == "bearer" and len(parts) == 3 and parts[0] == "hcp" and 0 < len(parts[1]) <= 16:
        return "key:" + parts[1]
    return _ip()


def _endpoint_is(name: str):
    return lambda: request.endpoint == name


def _endpoint_is_not(name: str):
    return lambda: request.endpoint != name


def _no_phone() -> bool:
    return not _phone()


def _no_code_asked() -> bool:
    return request.form.get("op") != "otp"


# Routes that cost seconds of CPU when their answer is not kept yet (the posters).
HEAVY = ("qr.poster_png", "qr.hall_pdf")


def _not_heavy() -> bool:
    return request.endpoint not in HEAVY


# group (its `[limits]` key and its counter) → (blueprints, key function, methods, exempt_when)
GROUPS = {
    "web_ip": (("rate",), _ip, None, None),
    "web_rater": (("rate",), _rater, ["POST"], None),
    "web_phone": (("rate",), _phone, ["POST"], _no_phone),
    "web_otp_ip": (("rate",), _ip, ["POST"], _no_code_asked),
    "wx_login_ip": (("wx",), _ip, None, _endpoint_is_not("wx.login")),
    "wx_user": (("wx",), _wx_user, None, _endpoint_is("wx.login")),
    "sms_ip": (("sms",), _ip, None, None),
    "api_key": (("api",), _api_key, None, None),
    "admin_login_ip": (("admin",), _ip, ["POST"], _endpoint_is_not("admin.login")),
    "public_ip": (("public", "qr"), _ip, None, None),
    "heavy_ip": (("qr",), _ip, None, _not_heavy),
}


def init_app(app) -> None:
    """One limiter per app (tests build many apps); call after every blueprint is registered."""
    settings = app.config["SETTINGS"].limits
    warn_if_per_process(settings, gunicorn_workers())
    limiter = Limiter(
        _ip,
        storage_uri=settings.storage_uri,
        strategy=settings.strategy,
        key_prefix=settings.key_prefix,
        headers_enabled=True,
        retry_after="delta-seconds",
        enabled=settings.enabled,
    )
    limiter.init_app(app)
    for group, (blueprints, key, methods, exempt_when) in GROUPS.items():
        shared = limiter.shared_limit(
            settings[group], scope=group, key_func=key, methods=methods, exempt_when=exempt_when
        )
        for name in blueprints:
            if name in app.blueprints:
                shared(app.blueprints[name])
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)


def handle_rate_limited(exc: RateLimitExceeded):
    seconds = _retry_after()
    wait = f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"
    message = f"操作过于频繁，请 {wait}后再试"
    if wants_json():
        response = jsonify({"error": {"code": "too_many_requests", "message": message}})
    else:
        response = current_app.make_response(
            render_template("error.html", status=429, message=message.replace("操作过于频繁", "您的操作过于频繁"))
        )
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def _retry_after() -> int:
    current = limiter().current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


# -- counters that several processes must share --------------------------------------


def warn_if_per_process(settings, workers: int | None) -> bool:
    """A loud warning when several processes count in `memory://`: each keeps its own
    counters, so N workers let N times every limit through. `workers` None: not a
    server of several processes (python app.py); -1: some number this process cannot tell."""
    if not settings.enabled or not settings.storage_uri.startswith("memory://") or workers is None or workers == 1:
        return False
    many = f"{workers} workers" if workers > 1 else "several workers (likely)"
    bar = "!" * 78
    log.warning(
        "\n%s\n!! RATE LIMITS COUNT PER PROCESS: limits.storage_uri is memory:// under %s,\n"
        "!! so every limit in [limits] lets through that many times its number. Set\n"
        '!! limits.storage_uri = "redis://127.0.0.1:6379/0" (env HCP_LIMITS_STORAGE_URI).\n%s',
        bar,
        many,
        bar,
    )
    return True


_WORKERS = re.compile(r"(?:^|\s)(?:-w|--workers)(?:=|\s+)?(\d+)")


def gunicorn_workers(argv=None, environ=None, modules=None) -> int | None:
    """The worker count of the gunicorn this process belongs to (from its command line,
    GUNICORN_CMD_ARGS or WEB_CONCURRENCY); -1 when it cannot be told; None outside gunicorn."""
    modules = sys.modules if modules is None else modules
    if "gunicorn.arbiter" not in modules:
        return None
    environ = os.environ if environ is None else environ
    argv = sys.argv[1:] if argv is None else argv
    for text in (" ".join(argv), environ.get("GUNICORN_CMD_ARGS", "")):
        found = _WORKERS.findall(text)
        if found:
            return int(found[-1])
    concurrency = environ.get("WEB_CONCURRENCY", "")
    if concurrency.isascii() and concurrency.isdigit():
        return int(concurrency)
    # gunicorn's default is one worker, unless a configuration file says otherwise.
    configured = any(arg in ("-c", "--config") or arg.startswith("--config=") for arg in argv)
    return -1 if configured or os.path.exists("gunicorn.conf.py") else 1
