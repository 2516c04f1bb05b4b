"""The 刷评审核 queue and the staff-identity registry in the admin."""

import json

from models import AuditLog
from models import Rating
from models import RatingFlag
from models import StaffIdentity
from models import Ticket
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from tests.admin.conftest import login  # noqa: F401
from tests.admin.conftest import staff  # noqa: F401


def flagged(app, make, window, rater, level=5, ip="10.12.0.9"):
    with app.app_context(), db.connection_context():
        req = RatingRequest(level=level, channel="qr", window=window, rater_ref=rater, client_ip=ip)
        rating = submit_rating(req).rating
        return RatingFlag.for_rating(rating)


def test_the_bureau_reviews_the_queue_pending_first(app, make, login, register):  # noqa: F811
    register(make.officer, "network", "10.12.0.0/16")
    first = flagged(app, make, make.police_window, "browser:a")
    second = flagged(app, make, make.social_window, "browser:b", level=1)
    bureau = login("bureau")
    page = bureau.get("/admin/flags").get_data(as_text=True)
    assert "待审核 2 条" in page and f'id="flag-{first.id}"' in page and f'id="flag-{second.id}"' in page
    assert "来自工作人员网络" in page and 'name="decision"' in page
    with db.connection_context():
        ticket = Ticket.for_rating(second.rating_id)
    assert f'href="/admin/tickets/{ticket.id}"' in page
    assert bureau.post(f"/admin/flags/{first.id}/review", data={"decision": "genuine"}).status_code == 302
    res = bureau.post(f"/admin/flags/{second.id}/review", data={"decision": "rejected"}, follow_redirects=True)
    assert "确认刷评须填写审核意见" in res.get_data(as_text=True)
    bureau.post(f"/admin/flags/{second.id}/review", data={"decision": "rejected", "note": "同事代评"})
    with db.connection_context():
        assert Rating.get_by_id(first.rating_id).excluded is False
        assert Rating.get_by_id(second.rating_id).excluded_reason == "刷评审核不通过：同事代评"
        audit = AuditLog.get(AuditLog.action == "rating.flag_rejected")
        assert audit.actor == "user:bureau" and json.loads(audit.detail)["note"] == "同事代评"
    # Reviewed flags leave the pending view and show under 全部 with the reviewer's note.
    assert "暂无记录" in bureau.get("/admin/flags").get_data(as_text=True)
    everything = bureau.get("/admin/flags?state=all").get_data(as_text=True)
    assert "确认有效" in everything and "同事代评" in everything


def test_the_auditor_reads_department_roles_read_their_own(app, make, login, register):  # noqa: F811
    register(make.officer, "network", "10.12.0.0/16")
    police = flagged(app, make, make.police_window, "browser:a")
    social = flagged(app, make, make.social_window, "browser:b")
    auditor = login("auditor")
    page = auditor.get("/admin/flags").get_data(as_text=True)
    assert f'id="flag-{police.id}"' in page and f'id="flag-{social.id}"' in page and 'name="decision"' not in page
    assert auditor.post(f"/admin/flags/{police.id}/review", data={"decision": "genuine"}).status_code == 403
    for role in ("police_admin", "police_staff"):
        session = login(role)
        page = session.get("/admin/flags").get_data(as_text=True)
        assert f'id="flag-{police.id}"' in page and f'id="flag-{social.id}"' not in page
        assert "社保业务窗口" not in page and 'name="decision"' not in page
        assert session.post(f"/admin/flags/{police.id}/review", data={"decision": "genuine"}).status_code == 403
        assert session.get("/admin/staff-identities").status_code == 403
    with db.connection_context():
        assert RatingFlag.select().where(RatingFlag.review_state == "pending").count() == 2


def test_the_bureau_keeps_the_staff_identity_registry(app, make, login):  # noqa: F811
    bureau = login("bureau")
    res = bureau.post(
        "/admin/staff-identities",
        data={"staff_code": "S001", "kind": "phone", "value": "13911112222", "note": "本人手机"},
        follow_redirects=True,
    )
    page = res.get_data(as_text=True)
    assert "已为 王敏（S001）登记" in page and "139****2222" in page and "13911112222" not in page
    for data, message in (
        ({"staff_code": "S999", "kind": "phone", "value": "13911112222"}, "没有该编号的工作人员"),
        ({"staff_code": "S001", "kind": "phone", "value": "13911112222"}, "该标识已登记"),
        ({"staff_code": "S001", "kind": "network", "value": "公安网"}, "网络应为 IP 地址或网段"),
    ):
        assert message in bureau.post("/admin/staff-identities", data=data, follow_redirects=True).get_data(
            as_text=True
        )
    with db.connection_context():
        row = StaffIdentity.get()
    auditor = login("auditor")
    assert "139****2222" in auditor.get("/admin/staff-identities").get_data(as_text=True)
    assert auditor.post(f"/admin/staff-identities/{row.id}/delete").status_code == 403
    assert bureau.post(f"/admin/staff-identities/{row.id}/delete").status_code == 302
    assert bureau.post(f"/admin/staff-identities/{row.id}/delete").status_code == 404
    with db.connection_context():
        assert StaffIdentity.select().count() == 0
        actions = [r.action for r in AuditLog.select().where(AuditLog.action.startswith("staff_identity"))]
        assert actions == ["staff_identity.create", "staff_identity.delete"]


def test_the_queue_is_in_the_navigation(app, make, login):  # noqa: F811
    for role in ("bureau", "auditor", "police_admin", "police_staff"):
        assert 'href="/admin/flags"' in login(role).get("/admin/").get_data(as_text=True)
