"""Admin fixtures: one user per role (police = own department, social = foreign),
rated cases, and a logged-in client helper that carries the CSRF token."""

import datetime as dt
import re

import pytest
from werkzeug.security import generate_password_hash

from cases.intake import upsert_case
from core import clock
from models import Case
from models import TicketContact
from models import User
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating

PASSWORD = "correct-horse-battery"
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
USERS = {
    "bureau": ("bureau", "bureau"),
    "police_admin": ("dept_admin", "police"),
    "police_staff": ("dept_staff", "police"),
    "social_admin": ("dept_admin", "social"),
    "auditor": ("auditor", None),
}


@pytest.fixture
def staff(make):
    with db.connection_context():
        users = {}
        for name, (role, dept) in USERS.items():
            user = User(username=name, role=role, department=getattr(make, dept) if dept else None)
            # A cheap hash keeps the suite fast; the product's own hashing is werkzeug's default.
            user.password_hash = CHEAP_HASH
            user.save()
            users[name] = user
        # The police department names its staff member as the contact (联系人) for new tickets.
        TicketContact.create(department=make.police, user=users["police_staff"])
    return users


class Session:
    """A test client logged in as one user; `post` adds the CSRF token."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, username: str, password: str = PASSWORD):
        page = self.client.get("/admin/login")
        self.token = token_of(page.get_data(as_text=True))
        response = self.client.post(
            "/admin/login", data={"username": username, "password": password, "csrf_token": self.token}
        )
        if response.status_code == 302:
            # The session (and with it the CSRF token) is renewed at login.
            self.token = token_of(self.client.get("/admin/password").get_data(as_text=True))
        return response

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, **kw)


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def login(app, staff):
    def _login(username: str) -> Session:
        session = Session(app.test_client())
        response = session.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return session

    return _login


class Ratings:
    """Cases and ratings through the real intake and rating core, at a chosen time."""

    def __init__(self, make):
        self.make = make
        self.number = 0

    def case(self, dept="police", completed=None, phone="13800138000", name="张三"):
        self.number += 1
        make = self.make
        window, staff_code, item, key_dept = {
            "police": ("W04", "S001", "610118-GAJ-001", make.police),
            "social": ("W05", "S002", "610118-RSJ-001", make.social),
        }[dept]
        completed = completed or clock.now()
        payload = make.case_payload(
            f"{dept}-{self.number:05d}",
            item_code=item,
            dept_code=key_dept.code,
            window_code=window,
            staff_code=staff_code,
            accepted_at=(completed - dt.timedelta(minutes=30)).isoformat() + "+08:00",
            completed_at=completed.isoformat() + "+08:00",
            applicant={"name": name, "phone": phone, "type": "person"},
        )
        saved = clock.now()
        clock.freeze(completed)
        try:
            upsert_case(payload, key_dept)
        finally:
            clock.freeze(saved)
        return Case.by_case_no(payload["case_no"])

    def rate(self, level, dept="police", at=None, channel="sms", comment=None, case=None, labels=()):
        at = at or clock.now()
        case = case or self.case(dept, completed=at - dt.timedelta(hours=1))
        saved = clock.now()
        clock.freeze(at)
        try:
            return submit_rating(
                RatingRequest(
                    level=level,
                    channel=channel,
                    case=case,
                    rater_ref=f"sms:{case.id}",
                    comment=comment,
                    labels=list(labels),
                )
            )
        finally:
            clock.freeze(saved)


@pytest.fixture
def ratings(app, make):
    """Call inside `ctx` (an app context with a connection)."""
    return Ratings(make)
