"""Fixtures for the bad-review workflow: staff users and 差评 tickets made
through the real rating core."""

import datetime as dt
import itertools

import pytest
from werkzeug.security import generate_password_hash

from core import clock
from core.codes import new_rating_code
from core.errors import ApiError
from models import Case
from models import Ticket
from models import User
from ratings.core import RatingRequest
from ratings.core import submit_rating

_numbers = itertools.count(1)
# Hashed once: these users never log in here, and scrypt per user per test is slow.
_PASSWORD_HASH = generate_password_hash("correct horse battery", method="pbkdf2:sha256:1000")


class Staffing:
    def __init__(self, make):
        self.make = make
        self.bureau = self.user("bureau1", "bureau", make.bureau)
        self.police_admin = self.user("police_admin", "dept_admin", make.police)
        self.police_staff = self.user("police_staff", "dept_staff", make.police)
        self.social_staff = self.user("social_staff", "dept_staff", make.social)
        self.auditor = self.user("auditor1", "auditor", None)

    @staticmethod
    def user(username, role, department, active=True):
        return User.create(
            username=username,
            password_hash=_PASSWORD_HASH,
            role=role,
            department=department,
            display_name=username,
            active=active,
        )


@pytest.fixture
def staff(make, ctx):
    return Staffing(make)


@pytest.fixture
def bad_ticket(make, ctx, staff):
    """A function: a 差评 on a new police case (with a phone unless `phone=None`) → its ticket."""

    def create(level=1, phone="13800138000", at=None, channel="pad", department=None, window=None):
        if at is not None:
            clock.freeze(at)
        now = clock.now()
        case = Case.create(
            case_no=f"GA-T-{next(_numbers)}",
            item=make.id_card if department is None else make.pension,
            department=department or make.police,
            hall=make.hall,
            window=window or (make.police_window if department is None else make.social_window),
            staff=make.officer if department is None else make.clerk,
            status="completed",
            accepted_at=now - dt.timedelta(hours=1),
            completed_at=now - dt.timedelta(minutes=30),
            applicant_phone=phone,
            rating_code=new_rating_code(),
            created_at=now,
            updated_at=now,
        )
        result = submit_rating(RatingRequest(level=level, channel=channel, case=case))
        return Ticket.get_by_id(result.ticket.id)

    return create


@pytest.fixture
def refused():
    """`with refused("illegal_transition", 409): ...` — the call raises that ApiError."""

    class Refused:
        def __init__(self, code, status):
            self.code, self.status = code, status

        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            assert exc_type is ApiError, f"expected ApiError {self.code}, got {exc_type}"
            assert (exc.code, exc.status) == (self.code, self.status), exc.message
            return True

    return Refused
