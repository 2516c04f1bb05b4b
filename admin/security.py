"""Sessions, roles, CSRF and the department scope of the admin.

- Passwords: werkzeug hashes (`User.set_password`); N failures in a row lock the
  account for a while (`admin.max_failed_logins`, `admin.lockout_minutes`).
- Sessions: Flask's signed cookie, HttpOnly, SameSite=Lax, Secure when
  `admin.session_cookie_secure`; a session ends after `admin.session_hours`, on
  logout, when the user is deactivated and when the password changes.
- CSRF: ops/csrf.py protects every form of every HTML blueprint, these included.
- Scope: bureau and auditor see every department; department roles only their
  own. The auditor never changes anything.
"""

import datetime as dt
import functools
import secrets

from flask import abort
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for

from core import clock
from core.config import current_settings
from models import AuditLog
from models import User

from . import bp

PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.static"})
ALL_DEPARTMENTS = ("bureau", "auditor")


def init_app(app) -> None:
    settings = app.config["SETTINGS"].admin
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings.session_cookie_secure
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=settings.session_hours)


class Scope:
    """Which department's data the user may see: None means every department."""

    def __init__(self, user: User):
        self.user = user
        self.department_id = None if user.role in ALL_DEPARTMENTS else user.department_id

    @property
    def all(self) -> bool:
        return self.department_id is None

    def restrict(self, query, field):
        return query if self.all else query.where(field == self.department_id)

    def check(self, department_id) -> None:
        """404 for anything of another department: its existence is not revealed either."""
        if not self.all and department_id != self.department_id:
            abort(404)

    @property
    def own_tickets_only(self) -> bool:
        """Department staff work their own tickets: assigned to them, or not yet assigned to anyone."""
        return self.user.role == "dept_staff"

    def restrict_tickets(self, query):
        from models import Ticket

        query = self.restrict(query, Ticket.department)
        if self.own_tickets_only:
            query = query.where((Ticket.assignee == self.user.id) | Ticket.assignee.is_null())
        return query

    def check_ticket(self, ticket) -> None:
        self.check(ticket.department_id)
        if self.own_tickets_only and ticket.assignee_id not in (None, self.user.id):
            abort(404)


def current_user() -> User | None:
    return getattr(g, "user", None)


def actor() -> str:
    return f"user:{g.user.username}"


def audit(action: str, target: str = "", **detail) -> None:
    AuditLog.record(actor(), action, target, **detail)


@bp.before_request
def load_user():
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        user = User.get_or_none(User.id == uid)
        started = session.get("at")
        hours = current_settings().admin.session_hours
        if (
            user is not None
            and user.active
            and session.get("pwv") == password_version(user)
            and started
            and clock.now() - dt.datetime.fromisoformat(started) < dt.timedelta(hours=hours)
        ):
            g.user = user
            g.scope = Scope(user)
        else:
            session.clear()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.user is None:
        return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
    # The auditor reads everything and changes nothing.
    if g.user.role == "auditor" and request.method not in ("GET", "HEAD") and request.endpoint != "admin.logout":
        abort(403)
    return None


def password_version(user: User) -> str:
    return user.password_hash[-16:]


def roles(*allowed):
    """Only these roles may open the view (403 otherwise)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator


def login(username: str, password: str) -> tuple[User | None, str | None]:
    """Check a login; returns (user, None) or (None, a Chinese message). Counts failures, locks."""
    settings = current_settings().admin
    user = User.by_username(username.strip()) if username else None
    now = clock.now()
    if user is None:
        _dummy_user().check_password(password)  # an unknown name costs as much as a wrong password
        AuditLog.record("anonymous", "login.failed", "", reason="unknown_user")
        return None, "用户名或密码错误"
    if user.locked_until and user.locked_until > now:
        AuditLog.record(f"user:{user.username}", "login.refused", f"user:{user.username}", reason="locked")
        return None, f"账号已锁定，请于 {user.locked_until:%H:%M} 后再试或联系管理员"
    if not user.check_password(password) or not user.active:
        user.failed_logins += 1
        fields = [User.failed_logins]
        if user.failed_logins >= settings.max_failed_logins:
            user.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            fields.append(User.locked_until)
            AuditLog.record(f"user:{user.username}", "login.locked", f"user:{user.username}")
        else:
            AuditLog.record(f"user:{user.username}", "login.failed", f"user:{user.username}", reason="password")
        user.save(only=fields)
        if user.locked_until and user.locked_until > now:
            return None, f"密码错误次数过多，账号已锁定 {settings.lockout_minutes} 分钟"
        return None, "用户名或密码错误"
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    user.save(only=[User.failed_logins, User.locked_until, User.last_login_at])
    AuditLog.record(f"user:{user.username}", "login", f"user:{user.username}")
    return user, None


@functools.cache
def _dummy_user() -> User:
    user = User()
    user.set_password(secrets.token_hex(8))
    return user


def start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["pwv"] = password_version(user)
    session["at"] = clock.now().isoformat()


@bp.app_context_processor
def _template_globals():
    from models import ROLES

    return {"ROLES": ROLES}


@bp.app_template_filter("urlencode_without")
def _urlencode_without(args, *names) -> str:
    from urllib.parse import urlencode

    return urlencode([(k, v) for k, v in args.items(multi=True) if k not in names and k != "page"])


@bp.after_request
def _private_headers(response):
    """Staff pages may carry personal data: never cached, never framed."""
    if request.endpoint != "admin.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response
