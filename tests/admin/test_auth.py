"""Login, lockout, sessions, CSRF and the auditor's read-only access."""

import datetime as dt

import pytest

from core import clock
from models import AuditLog
from models import User
from models import db

from .conftest import PASSWORD
from .conftest import Session


def test_login_page_and_redirect_to_login(client):
    assert client.get("/admin/login").status_code == 200
    response = client.get("/admin/tickets")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_login_then_logout(app, staff):
    session = Session(app.test_client())
    response = session.login("bureau")
    assert response.headers["Location"] == "/admin/"
    assert "区行政审批局" in session.get("/admin/").get_data(as_text=True)
    page = session.get("/admin/").get_data(as_text=True)
    assert session.post("/admin/logout").status_code == 302
    assert session.get("/admin/").status_code == 302
    assert page


def test_next_is_followed_only_inside_the_admin(app, staff):
    session = Session(app.test_client())
    session.client.get("/admin/login")
    page = session.client.get("/admin/login?next=//evil.example/x")
    from .conftest import token_of

    token = token_of(page.get_data(as_text=True))
    response = session.client.post(
        "/admin/login?next=//evil.example/x", data={"username": "bureau", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_and_unknown_user_say_the_same(app, staff):
    session = Session(app.test_client())
    wrong = session.login("bureau", "nope-nope-nope")
    unknown = session.login("nobody", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)


@pytest.mark.settings({"admin": {"max_failed_logins": 3, "lockout_minutes": 15}})
def test_lockout_after_repeated_failures_then_release(app, staff):
    session = Session(app.test_client())
    for _ in range(2):
        assert "用户名或密码错误" in session.login("bureau", "wrong-password").get_data(as_text=True)
    assert "已锁定" in session.login("bureau", "wrong-password").get_data(as_text=True)
    # Even the right password is refused while locked.
    assert session.login("bureau").status_code == 401
    with db.connection_context():
        assert AuditLog.select().where(AuditLog.action == "login.locked").count() == 1
    clock.freeze(clock.now() + dt.timedelta(minutes=16))
    assert session.login("bureau").status_code == 302
    with db.connection_context():
        assert User.by_username("bureau").failed_logins == 0


def test_post_without_csrf_token_is_refused(app, staff, login):
    session = login("bureau")
    response = session.client.post("/admin/users/new", data={"username": "x1234", "role": "auditor"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    with db.connection_context():
        assert User.by_username("x1234") is None


def test_login_itself_needs_the_csrf_token(app, staff):
    response = app.test_client().post("/admin/login", data={"username": "bureau", "password": PASSWORD})
    assert response.status_code == 400


def test_json_api_is_not_subject_to_csrf(client, make):
    response = client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    assert response.status_code in (200, 201)


def test_session_ends_when_password_changes_or_user_is_deactivated(app, staff, login):
    police = login("police_admin")
    bureau = login("bureau")
    assert police.get("/admin/").status_code == 200
    user_id = staff["police_admin"].id
    body = bureau.post(f"/admin/users/{user_id}", data={"op": "reset_password"}).get_data(as_text=True)
    assert body is not None
    assert police.get("/admin/").status_code == 302
    staff_session = login("police_staff")
    bureau.post(f"/admin/users/{staff['police_staff'].id}", data={"op": "deactivate"})
    assert staff_session.get("/admin/").status_code == 302
    assert Session(app.test_client()).login("police_staff").status_code == 401


@pytest.mark.settings({"admin": {"session_hours": 2}})
def test_session_expires(app, staff, login):
    session = login("bureau")
    clock.freeze(clock.now() + dt.timedelta(hours=2, minutes=1))
    assert session.get("/admin/").status_code == 302


def test_own_password_change(app, staff, login):
    session = login("police_staff")
    response = session.post(
        "/admin/password", data={"current": PASSWORD, "new": "another-long-secret", "repeat": "another-long-secret"}
    )
    assert response.status_code == 302
    assert session.get("/admin/").status_code == 200  # the changing session stays valid
    assert Session(app.test_client()).login("police_staff", "another-long-secret").status_code == 302


def test_auditor_reads_but_never_writes(app, staff, login):
    session = login("auditor")
    assert session.get("/admin/audit").status_code == 200
    assert session.get("/admin/users").status_code == 200
    assert session.post("/admin/users/new", data={"username": "sneaky", "role": "bureau"}).status_code == 403
    assert session.post("/admin/logout").status_code == 302


@pytest.mark.settings({"admin": {"session_cookie_secure": True}})
def test_secure_cookie_flags(app, staff):
    session = Session(app.test_client())
    response = session.login("bureau")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_audit_log_shows_logins(app, staff, login):
    login("police_staff")
    page = login("bureau").get("/admin/audit").get_data(as_text=True)
    assert "police_staff（部门工作人员，区公安分局）" in page and '<td title="login">登录</td>' in page


def test_staff_pages_are_not_cached_or_framed(login):
    response = login("bureau").get("/admin/tickets")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
