"""Server-side admin sessions and the atomic lockout counter.

A stolen cookie must stop working when its owner logs out; a password change, a
role change or a deactivation ends every copy; the cookie carries nothing of the
user; and concurrent wrong passwords get exactly `admin.max_failed_logins` real
password checks, however many arrive at once.
"""

import base64
import json
import threading
import zlib

import pytest

from models import StaffSession
from models import User
from models import db

from .conftest import PASSWORD
from .conftest import Session
from .conftest import token_of


def cookie_of(session: Session) -> str:
    return session.client.get_cookie("session").value


def copy_of(app, session: Session) -> Session:
    """Another browser holding the same cookie (a stolen copy)."""
    thief = Session(app.test_client())
    thief.client.set_cookie("session", cookie_of(session))
    return thief


def test_logout_ends_every_copy_of_the_cookie(app, login):
    owner = login("police_admin")
    thief = copy_of(app, owner)
    assert thief.get("/admin/").status_code == 200  # the copy works while the session lives
    assert owner.post("/admin/logout").status_code == 302
    assert owner.get("/admin/").status_code == 302
    response = thief.get("/admin/")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    with db.connection_context():
        assert StaffSession.select().join(User).where(User.username == "police_admin").count() == 0


def test_a_password_change_ends_the_other_sessions_and_keeps_the_changing_one(app, login):
    first, second = login("police_staff"), login("police_staff")
    thief = copy_of(app, first)
    response = first.post(
        "/admin/password", data={"current": PASSWORD, "new": "another-long-secret", "repeat": "another-long-secret"}
    )
    assert response.status_code == 302
    assert first.get("/admin/").status_code == 200
    assert second.get("/admin/").status_code == 302
    assert thief.get("/admin/").status_code == 302


def test_a_role_change_ends_every_session_of_the_user(app, login, staff):
    session = login("police_staff")
    other = login("police_admin")
    with db.connection_context():
        user = User.get_by_id(staff["police_staff"].id)
        user.role = "dept_admin"
        user.save()
    assert session.get("/admin/").status_code == 302
    assert other.get("/admin/").status_code == 200  # only that user's sessions end
    with db.connection_context():
        user = User.get_by_id(staff["police_admin"].id)
        user.display_name = "新名字"
        user.save()  # a change that is no reason to log out
    assert other.get("/admin/").status_code == 200


def test_the_cookie_carries_no_user_id_and_no_password_hash(app, login, staff):
    session = login("bureau")
    raw = cookie_of(session)
    payload = raw.split(".")[0] if not raw.startswith(".") else raw.split(".")[1]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if raw.startswith("."):
        data = zlib.decompress(data)
    content = json.loads(data)
    assert set(content) <= {"sid", "csrf_token", "_permanent"}, content
    password_hash = staff["bureau"].password_hash
    for start in range(0, len(password_hash) - 8):
        assert password_hash[start : start + 8] not in raw
    with db.connection_context():
        stored = StaffSession.get(StaffSession.user == staff["bureau"].id)
    assert content["sid"] not in stored.token_hash  # only a hash of the token is kept


@pytest.mark.settings({"admin": {"max_failed_logins": 5, "lockout_minutes": 15}})
def test_twelve_concurrent_wrong_passwords_get_exactly_five_real_checks(app, staff, monkeypatch):
    checks = []
    real_check = User.check_password

    def counted(self, password):
        checks.append(password)
        return real_check(self, password)

    monkeypatch.setattr(User, "check_password", counted)
    attempts = 12
    clients = [app.test_client() for _ in range(attempts)]
    tokens = [token_of(c.get("/admin/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(attempts)
    statuses = [None] * attempts

    def attempt(index):
        start.wait()
        data = {"username": "bureau", "password": f"wrong-{index}", "csrf_token": tokens[index]}
        statuses[index] = clients[index].post("/admin/login", data=data).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [401] * attempts
    assert len(checks) == 5, f"{len(checks)} real password checks for {attempts} concurrent attempts"
    # Locked: the right password is refused without a check.
    assert Session(app.test_client()).login("bureau").status_code == 401
    assert len(checks) == 5
    with db.connection_context():
        user = User.by_username("bureau")
        assert user.locked_until is not None and user.failed_logins == 0
