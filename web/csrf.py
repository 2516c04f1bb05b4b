"""CSRF protection for every HTML form (Flask-WTF's CSRFProtect), app-wide.

JSON blueprints that authenticate by a bearer token or a secret URL path
carry no cookie a forged form could ride on, so they are exempt — by name,
explicitly, below. `init_app` runs after every blueprint is registered.
"""

from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# api: business systems (API key); wx: mini program (session token);
# sms: Aliyun callbacks (secret path segment).
EXEMPT_BLUEPRINTS = ("api", "wx", "sms")


def handle_csrf_error(exc: CSRFError):
    back = request.path if request.method == "POST" else None
    message = "页面已过期，或浏览器未开启 Cookie。请返回页面刷新后重新提交。"
    return render_template("web/rate/message.html", title="请重新提交", message=message, back=back), 400


def init_app(app) -> None:
    csrf.init_app(app)
    for name in EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    app.register_error_handler(CSRFError, handle_csrf_error)
