"""Operator commands."""

import datetime as dt

from peewee import fn

from core import clock
from models import ApiKey
from models import AuditLog
from models import Case
from models import Department
from models import Rating
from models import Ticket
from models import User
from models import db


def test_init_db_is_idempotent(runner, app):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_create_api_key_prints_the_key_alone_on_the_last_line(runner, client, make):
    result = runner.invoke(args=["create-api-key", "--dept", "RSJ", "--label", "人社业务系统"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("hcp_") and " " not in key
    response = client.get("/api/v1/cases/none", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 404  # authenticated, the case just does not exist
    with db.connection_context():
        assert AuditLog.select().where(AuditLog.action == "api_key.create").count() == 1
        # Only a hash is stored.
        assert all(key.split("_", 2)[2] not in row.secret_hash for row in ApiKey.select())


def test_create_api_key_for_unknown_department(runner, make):
    result = runner.invoke(args=["create-api-key", "--dept", "NOPE"])
    assert result.exit_code != 0
    assert "unknown department" in result.output


def test_create_users(runner, make):
    ok = runner.invoke(args=["create-user", "chief", "--role", "bureau", "--password", "correct horse battery"])
    assert ok.exit_code == 0, ok.output
    dept = runner.invoke(
        args=["create-user", "wang", "--role", "dept_staff", "--dept", "GAJ", "--password", "long enough pass"]
    )
    assert dept.exit_code == 0, dept.output
    with db.connection_context():
        chief = User.by_username("chief")
        assert chief.role == "bureau" and chief.department is None
        assert chief.check_password("correct horse battery") and not chief.check_password("wrong")
        assert "correct horse" not in chief.password_hash
        assert User.by_username("wang").department.code == "GAJ"


def test_create_user_refusals(runner, make):
    no_dept = runner.invoke(args=["create-user", "x", "--role", "dept_admin", "--password", "long enough pass"])
    assert no_dept.exit_code != 0 and "--dept is required" in no_dept.output
    short = runner.invoke(args=["create-user", "y", "--role", "bureau", "--password", "short"])
    assert short.exit_code != 0 and "at least" in short.output
    runner.invoke(args=["create-user", "z", "--role", "auditor", "--password", "long enough pass"])
    twice = runner.invoke(args=["create-user", "z", "--role", "auditor", "--password", "long enough pass"])
    assert twice.exit_code != 0 and "already exists" in twice.output


def test_seed_demo_builds_the_district_through_the_rating_core(runner, app):
    result = runner.invoke(args=["seed-demo", "--months", "1"])
    assert result.exit_code == 0, result.output
    assert "Seeded" in result.output
    with db.connection_context():
        names = {d.name for d in Department.select()}
        assert {"区行政审批局", "区公安分局", "区人社局", "区民政局", "区住建局", "区住房公积金管理中心"} <= names
        assert {"甘亭街道", "景区管理局"} <= names
        assert Case.select().count() > 100
        ratings = Rating.select().count()
        assert ratings > 100
        bad = Rating.select().where(Rating.is_bad).count()
        assert bad > 0 and Ticket.select().count() == bad
        assert {r.channel for r in Rating.select(Rating.channel).distinct()} >= {"sms", "wechat", "pad", "qr"}
        with app.app_context():
            assert_rich_and_never_in_the_future()
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already present" in again.output
    with db.connection_context():
        assert Rating.select().count() == ratings


def assert_rich_and_never_in_the_future():
    """The demo lives up to the moment it is seeded (Beijing time, here the tests' 2026-11-26 10:00)
    and no later, and it gives the rankings, 考核 and analyses something to show."""
    from figures.snapshot import MonthData
    from models import MonthReport
    from models import MonthSubmission
    from models import Notification
    from models import TicketEvent

    seeded = clock.now()
    assert seeded == dt.datetime(2026, 11, 26, 10, 0)  # the clock is pinned back after the history
    for field in (
        Case.created_at,
        Case.completed_at,
        Rating.created_at,
        Ticket.created_at,
        TicketEvent.at,
        Notification.created_at,
        MonthSubmission.submitted_at,
        MonthReport.closed_at,
        AuditLog.at,
    ):
        latest = field.model.select(fn.MAX(field)).scalar()
        assert latest is not None and clock.to_local(latest) <= seeded, field
    # October closed on its 30th, November still open; units ranked, others listed apart.
    assert [(r.month, r.version) for r in MonthReport.select()] == [("2026-10", 1)]
    october = MonthData("2026-10")
    assert october.closed and len(october["assessment"]["rows"]) >= 10 and october["assessment"]["unranked"]
    assert len(october["analysis"]["terms"]["terms"]) >= 10 and len(october["analysis"]["labels"]["by_label"]) >= 5
    assert october["lists"]["commend"]["staff"] and october["lists"]["attention"]["units"]
    assert {r["status"] for r in october["board"]} >= {"on_time", "missing"}
    assert MonthSubmission.select().where(MonthSubmission.via == "paper").exists()
    assert Rating.select().where(Rating.sequence == 2).exists()  # 追评
    assert MonthData("2026-11")["units"][1]["rated"] > 30
