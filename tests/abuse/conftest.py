"""Abuse fixtures: staff identities and quick ways to rate as a given rater."""

import datetime as dt

import pytest

from cases.intake import upsert_case
from core import clock
from models import Case
from models import StaffIdentity
from models import User
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from ratings.fraud import register_identity
from tests.wechat.fakes import fake_wx  # noqa: F401 - the WeChat server the mini-program tests log in against
from tests.wechat.fakes import point_at

OFFICER_PHONE = "13911112222"  # 王敏 (S001, police), who handles the police cases


@pytest.fixture
def settings_overrides(settings_overrides, fake_wx):  # noqa: F811 - the imported fixture, requested
    return point_at(settings_overrides, fake_wx)


@pytest.fixture
def registrar(make):
    with db.connection_context():
        return User.create(username="registrar", password_hash="x", role="bureau")


@pytest.fixture
def register(app, make, registrar):
    """register(staff, kind, value) through the registry's service."""

    def _register(staff, kind, value, note=""):
        with app.app_context(), db.connection_context():
            return register_identity(staff, kind, value, note, registrar)

    return _register


def police_case(make, case_no="GA-2026-0001", phone="13800138000", completed=None):
    completed = completed or clock.now() - dt.timedelta(minutes=20)
    payload = make.case_payload(
        case_no,
        completed_at=completed.isoformat() + "+08:00",
        accepted_at=(completed - dt.timedelta(minutes=30)).isoformat() + "+08:00",
        applicant={"name": "张三", "phone": phone, "type": "person"},
    )
    upsert_case(payload, make.police)
    return Case.by_case_no(case_no)


def rate(level=5, channel="wechat", **kw):
    return submit_rating(RatingRequest(level=level, channel=channel, **kw))


__all__ = ["OFFICER_PHONE", "StaffIdentity", "police_case", "rate"]
