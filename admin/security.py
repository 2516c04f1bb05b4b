"""Sessions, roles, CSRF and the department scope of the admin.

- Passwords: werkzeug hashes (`User.set_password`); N failures in a row lock the
  account for a while (`admin.max_failed_logins`, `admin.lockout_minutes`). Each
  check first claims one of the N in a single UPDATE (`User.claim_attempt`), so
  concurrent wrong passwords get N real checks, not more.
- Sessions: server-side (`StaffSession`); the cookie (Flask's signed one, HttpOnly,
  SameSite=Lax, Secure when `admin.session_cookie_secure`) holds a random token and
  the CSRF token only. A session ends after `admin.session_hours`, on logout (every
  copy of the cookie), and — every session of the user — when the password, the role
  or the department changes or the user is deactivated.
- CSRF: ops/csrf.py protects every form of every HTML blueprint, these included.
- Scope: bureau and auditor see every department; department roles only their
  own. The auditor never changes anything.
"""

import datetime as dt
import functools
import secrets

from flask import abort
from flask import current_app
from flask import g
from flask import redirect
from flask import request
from flask import session
from flask import url_for

from core import clock
from core.config import current_settings
from models import AuditLog
from models import StaffSession
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
    token = session.get("sid")
    if token is not None:
        user = StaffSession.user_for(token)
        if user is not None:
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
    if not User.claim_attempt(user.id, settings.max_failed_logins, now):
        user = User.get_by_id(user.id)
        until = user.locked_until if user.locked_until and user.locked_until > now else None
        AuditLog.record(f"user:{user.username}", "login.refused", f"user:{user.username}", reason="locked")
        return None, f"账号已锁定，请于 {until:%H:%M} 后再试或联系管理员" if until else "账号已锁定，请稍后再试"
    if not user.check_password(password) or not user.active:
        # This attempt's claim stays counted; the one that spent the last check locks the account.
        locked = (
            User.update(locked_until=now + dt.timedelta(minutes=settings.lockout_minutes), failed_logins=0)
            .where((User.id == user.id) & (User.failed_logins >= settings.max_failed_logins))
            .execute()
        )
        if locked:
            AuditLog.record(f"user:{user.username}", "login.locked", f"user:{user.username}")
            return None, f"密码错误次数过多，账号已锁定 {settings.lockout_minutes} 分钟"
        AuditLog.record(f"user:{user.username}", "login.failed", f"user:{user.username}", reason="password")
        return None, "用户名或密码错误"
    User.update(failed_logins=0, locked_until=None, last_login_at=now).where(User.id == user.id).execute()
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
    session["sid"] = StaffSession.start(user, current_settings().admin.session_hours)


def end_session() -> None:
    """Logout: the session ends on the server, so a copy of the cookie opens nothing either."""
    StaffSession.end(session.get("sid"))
    session.clear()


@bp.app_context_processor
def _template_globals():
    from models import ROLES
    from wechat.client import mode

    # The demo's fake WeChat is said on every staff page, so that it never goes unnoticed in production.
    return {"ROLES": ROLES, "wechat_mode": mode(current_app.config["SETTINGS"])}


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
