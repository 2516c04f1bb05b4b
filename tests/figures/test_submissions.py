"""报送: who may confirm a unit's month, once, with a comment; the bureau's board; the
business contact as personal data (encrypted, masked, revealed with a logged reason)."""

import datetime as dt

import pytest

from core import clock
from core.errors import ApiError
from figures import submissions
from models import AuditLog
from models import BusinessContact
from models import MonthSubmission
from models import db


def refused(code, call, *args):
    with pytest.raises(ApiError) as caught:
        call(*args)
    assert caught.value.code == code, caught.value.message


def test_who_may_confirm_and_how_often(ctx, make, staff):
    police_admin, police_staff = staff["police_admin"], staff["police_staff"]
    refused("forbidden", submissions.submit, police_staff, "2026-11", "已核对")  # not the contact
    refused("forbidden", submissions.submit, staff["bureau"], "2026-11", "已核对")  # the bureau receives
    refused("comment_required", submissions.submit, police_admin, "2026-11", "  ")
    refused("invalid_month", submissions.submit, police_admin, "2026-13", "已核对")
    refused("month_not_available", submissions.submit, police_admin, "2026-12", "已核对")
    row = submissions.submit(police_admin, "2026-11", "本月数据已核对无误")
    assert (row.department_id, row.via, row.comment) == (make.police.id, "admin", "本月数据已核对无误")
    refused("already_submitted", submissions.submit, police_admin, "2026-11", "再报一次")
    # The contact's own account may confirm too, for its unit only.
    submissions.set_contact(make.social, "钱伟", "13700001111", None, staff["bureau"])
    clerk = staff["social_admin"]
    submissions.set_contact(make.police, "赵敏", "13912345678", police_staff.id, police_admin)
    submissions.submit(police_staff, "2026-10", "十月数据已核对")
    assert MonthSubmission.find(make.police.id, "2026-10").submitted_by_id == police_staff.id
    refused("forbidden", submissions.set_contact, make.police, "张三", "13800000000", None, clerk)
    assert AuditLog.select().where(AuditLog.action == "month.submit").count() == 2


def test_the_board_knows_who_is_on_time_late_or_missing(ctx, make, staff):
    submissions.submit(staff["police_admin"], "2026-11", "已核对")
    board = {r["code"]: r for r in submissions.board("2026-11")}
    assert set(board) == {"GAJ", "RSJ", "GTJD"}  # every unit but the bureau
    assert (board["GAJ"]["status"], board["RSJ"]["status"]) == ("on_time", "pending")
    clock.freeze(dt.datetime(2026, 12, 1, 9, 0))  # after November's deadline (the 30th, 23:00)
    board = {r["code"]: r for r in submissions.board("2026-11")}
    assert (board["GAJ"]["status_label"], board["RSJ"]["status_label"]) == ("已报送", "逾期未报送")
    submissions.submit(staff["social_admin"], "2026-11", "迟报")
    assert {r["code"]: r["status"] for r in submissions.board("2026-11")}["RSJ"] == "late"


def test_the_contact_is_personal_data(ctx, make, staff):
    submissions.set_contact(make.police, "赵敏", "139 1234 5678", staff["police_staff"].id, staff["police_admin"])
    stored = db.execute_sql("SELECT name, phone FROM business_contact").fetchone()
    assert "赵敏" not in stored[0] and "13912345678" not in stored[1]  # encrypted at rest
    assert BusinessContact.of(make.police.id).phone == "13912345678"
    row = {r["code"]: r for r in submissions.board("2026-11")}["GAJ"]
    assert (row["contact"], row["contact_phone"]) == ("赵*", "139****5678")
    assert "赵敏" not in str(AuditLog.select().dicts()[:]) and "13912345678" not in str(AuditLog.select().dicts()[:])
    refused("invalid_phone", submissions.set_contact, make.police, "", "12345", None, staff["bureau"])
    refused("invalid_user", submissions.set_contact, make.police, "", "", staff["social_admin"].id, staff["bureau"])


def test_pages_by_role(login, make, staff):
    contact = login("police_admin")
    page = contact.get("/admin/month/submit?month=2026-11").get_data(as_text=True)
    assert 'id="submit-form"' in page and "待报送" in page
    assert contact.post("/admin/month/submit", {"month": "2026-11", "comment": ""}).status_code == 302
    assert (
        "已报送"
        not in contact.get("/admin/month/submit?month=2026-11").get_data(as_text=True).split("报送状态")[1][:40]
    )
    contact.post("/admin/month/submit", {"month": "2026-11", "comment": "已核对无误"})
    page = contact.get("/admin/month/submit?month=2026-11").get_data(as_text=True)
    assert "已报送" in page and "已核对无误" in page and 'id="submit-form"' not in page
    # Department roles see their own row of the board; the bureau sees every unit.
    own = contact.get("/admin/month?month=2026-11").get_data(as_text=True)
    assert 'data-unit="GAJ"' in own and 'data-unit="RSJ"' not in own
    board = login("bureau").get("/admin/month?month=2026-11").get_data(as_text=True)
    assert 'data-unit="RSJ"' in board and 'id="count-on_time">1<' in board
    assert login("bureau").get("/admin/month/submit").status_code == 403
    # Contacts: masked for everyone, in clear once with a reason that the audit log keeps.
    bureau = login("bureau")
    bureau.post("/admin/contacts/edit", {"department": make.police.id, "name": "赵敏", "phone": "13912345678"})
    listing = bureau.get("/admin/contacts").get_data(as_text=True)
    assert "赵*" in listing and "139****5678" in listing and "13912345678" not in listing
    revealed = bureau.post("/admin/contacts/reveal", {"department": make.police.id, "reason": "电话催报"})
    assert "13912345678" in revealed.get_data(as_text=True)
    assert (
        login("police_admin").post("/admin/contacts/edit", {"department": make.social.id, "name": "x"}).status_code
        == 404
    )
