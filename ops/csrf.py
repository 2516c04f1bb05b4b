"""CSRF protection for every HTML form (Flask-WTF's CSRFProtect), app-wide:
the H5 rating pages and the staff admin alike.

JSON blueprints that authenticate by a bearer token or a secret URL path
carry no cookie a forged form could ride on, so they are exempt — by name,
explicitly, below. `init_app` runs after every blueprint is registered.
"""

from flask import render_template
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# api: business systems (API key); wx: mini program (session token);
# sms: Aliyun callbacks (secret path segment).
EXEMPT_BLUEPRINTS = ("api", "wx", "sms")


def handle_csrf_error(exc: CSRFError):
    message = "请重新提交：页面已过期，或浏览器未开启 Cookie，请返回上一页刷新后再提交。"
    return render_template("error.html", status=400, message=message), 400


def init_app(app) -> None:
    csrf.init_app(app)
    for name in EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    app.register_error_handler(CSRFError, handle_csrf_error)
