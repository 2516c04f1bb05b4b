"""Master data, users, API keys and the label dictionary: scoped edits, all audited."""

import sys
import types

from models import ApiKey
from models import AuditLog
from models import LabelSet
from models import User
from models import Window
from models import db


def test_department_admin_adds_a_window_to_its_own_department(login, make):
    session = login("police_admin")
    response = session.post(
        "/admin/master/window/new",
        data={"code": "W09", "name": "出入境窗口", "hall": make.hall.id, "department": make.police.id, "active": "1"},
    )
    assert response.status_code == 302
    with db.connection_context():
        window = Window.by_code("W09")
        assert window.department_id == make.police.id
        assert AuditLog.get(AuditLog.action == "window.create").actor == "user:police_admin"


def test_department_admin_cannot_place_a_window_in_another_department(login, make):
    session = login("police_admin")
    page = session.post(
        "/admin/master/window/new",
        data={"code": "W10", "name": "x", "hall": make.hall.id, "department": make.social.id},
    ).get_data(as_text=True)
    assert "不在可选范围内" in page
    with db.connection_context():
        assert Window.by_code("W10") is None


def test_items_and_departments_are_read_only_for_department_admins(login, make):
    session = login("police_admin")
    assert session.post("/admin/master/item/new", data={"code": "I1"}).status_code == 403
    assert session.post(f"/admin/master/department/{make.police.id}", data={"name": "x"}).status_code == 403
    assert "居民身份证换领" in session.get("/admin/master/item").get_data(as_text=True)


def test_duplicate_code_is_a_readable_error(login, make):
    session = login("bureau")
    page = session.post(
        "/admin/master/window/new",
        data={"code": "W04", "name": "重复", "hall": make.hall.id, "department": make.police.id},
    ).get_data(as_text=True)
    assert "编码已存在" in page


def test_edit_records_what_changed(login, make):
    session = login("bureau")
    session.post(
        f"/admin/master/staff/{make.officer.id}",
        data={"code": "S001", "name": "王敏敏", "department": make.police.id, "window": make.police_window.id},
    )
    with db.connection_context():
        row = AuditLog.get(AuditLog.action == "staff.update")
    assert "王敏敏" in row.detail and "active" in row.detail  # unchecked box = left the post


def test_users_created_by_a_department_admin_stay_in_its_department(login, make):
    session = login("police_admin")
    page = session.post("/admin/users/new", data={"username": "gaj_new", "role": "dept_staff"})
    assert page.status_code == 302
    assert session.post("/admin/users/new", data={"username": "boss1", "role": "bureau"}).status_code == 302
    with db.connection_context():
        assert User.by_username("gaj_new").department_id == make.police.id
        assert User.by_username("boss1") is None


def test_api_key_is_shown_once_and_can_be_revoked(login, make):
    session = login("police_admin")
    page = session.post("/admin/api-keys", data={"department": make.police.id, "label": "新系统"}).get_data(
        as_text=True
    )
    assert 'id="new-key"' in page and "hcp_" in page
    with db.connection_context():
        key = ApiKey.select().where(ApiKey.label == "新系统").get()
    session.post(f"/admin/api-keys/{key.id}/revoke")
    with db.connection_context():
        assert ApiKey.get_by_id(key.id).revoked_at is not None
    assert 'id="new-key"' not in session.get("/admin/users").get_data(as_text=True)


def test_new_label_version(login, make):
    session = login("bureau")
    bad = session.post("/admin/labels", data={"version": "2027.1", "labels": "7,x,坏"})
    assert "第 1 行" in session.get(bad.headers["Location"]).get_data(as_text=True)
    session.post("/admin/labels", data={"version": "2027.1", "labels": "5,501,很好\n1,101,很差"})
    with db.connection_context():
        current = LabelSet.current()
        assert current.version == "2027.1" and len(current.codes_by_level()[5]) == 1
        assert LabelSet.select().where(LabelSet.active).count() == 1


def test_master_lists_are_searchable(login, make):
    session = login("bureau")
    page = session.get("/admin/master/window?q=W05").get_data(as_text=True)
    assert "社保业务窗口" in page and "户籍业务窗口" not in page
    assert f"/admin/master/window/{make.social_window.id}/poster" in page


def test_posters_come_from_the_poster_module(login, make, monkeypatch):
    posters = types.ModuleType("wechat.posters")
    posters.window_poster = lambda window: b"\x89PNG\r\n" + window.code.encode()
    posters.hall_posters = lambda hall: b"%PDF-1.4 " + hall.code.encode()
    monkeypatch.setitem(sys.modules, "wechat.posters", posters)
    session = login("police_admin")
    response = session.get(f"/admin/master/window/{make.police_window.id}/poster")
    assert response.mimetype == "image/png" and response.data.endswith(b"W04")
    assert session.get(f"/admin/master/window/{make.social_window.id}/poster").status_code == 404
    hall = login("bureau").get(f"/admin/master/hall/{make.hall.id}/poster")
    assert hall.mimetype == "application/pdf" and 'filename="poster-SMZJ.pdf"' in hall.headers["Content-Disposition"]


def test_a_poster_wechat_cannot_make_is_a_readable_page_not_a_500(login, make):
    """The real poster module, with no mini program configured (the tests' settings): the
    bureau reads why, in Chinese, on a page; the public /qr route says the same in JSON."""
    session = login("bureau")
    for kind, row_id in (("window", make.police_window.id), ("hall", make.hall.id)):
        response = session.get(f"/admin/master/{kind}/{row_id}/poster")
        assert response.status_code == 503, kind
        assert response.mimetype == "text/html"
        assert "尚未配置微信小程序" in response.get_data(as_text=True)
