"""The bad-review queue, the ticket page, masking and the logged reveal."""

import datetime as dt
import sys
import types

import pytest

from models import AuditLog
from models import Ticket
from models import db


@pytest.fixture
def tickets(app, make, ratings):
    with app.app_context(), db.connection_context():
        late = ratings.rate(1, at=dt.datetime(2026, 11, 2, 9), comment="等了两个小时", labels=["101"]).ticket
        fresh = ratings.rate(2, at=dt.datetime(2026, 11, 25, 9)).ticket
        done = ratings.rate(2, at=dt.datetime(2026, 11, 1, 9)).ticket
        Ticket.update(state="closed").where(Ticket.id == done.id).execute()
        return {"late": late, "fresh": fresh, "done": done}


def test_queue_lists_overdue_first_then_open_by_deadline(login, tickets):
    page = login("police_staff").get("/admin/tickets").get_data(as_text=True)
    order = [page.index(tickets[k].ticket_no) for k in ("late", "fresh", "done")]
    assert order == sorted(order)
    assert "已超期" in page and "剩余" in page


def test_queue_filters(login, tickets):
    session = login("police_staff")
    overdue = session.get("/admin/tickets?state=overdue").get_data(as_text=True)
    assert tickets["late"].ticket_no in overdue and tickets["fresh"].ticket_no not in overdue
    closed = session.get("/admin/tickets?state=closed").get_data(as_text=True)
    assert tickets["done"].ticket_no in closed and tickets["late"].ticket_no not in closed


def test_ticket_page_masks_the_applicant(login, tickets):
    page = login("police_staff").get(f"/admin/tickets/{tickets['late'].id}").get_data(as_text=True)
    assert "138****8000" in page and "张*" in page
    assert "13800138000" not in page and "张三" not in page
    assert "等了两个小时" in page and "已超期" in page and "服务态度恶劣" in page


def test_reveal_needs_a_reason_and_is_logged(login, tickets):
    session = login("police_staff")
    url = f"/admin/tickets/{tickets['late'].id}/reveal"
    assert session.post(url, data={"reason": ""}).status_code == 302
    page = session.post(url, data={"reason": "电话核实"}).get_data(as_text=True)
    assert "13800138000" in page and "张三" in page
    with db.connection_context():
        row = AuditLog.get(AuditLog.action == "personal_data.reveal")
    assert row.actor == "user:police_staff" and row.target == f"ticket:{tickets['late'].ticket_no}"
    assert "13800138000" not in row.detail


def test_auditor_cannot_reveal(login, tickets):
    session = login("auditor")
    assert session.post(f"/admin/tickets/{tickets['late'].id}/reveal", data={"reason": "x"}).status_code == 403
    assert "查看完整号码" not in session.get(f"/admin/tickets/{tickets['late'].id}").get_data(as_text=True)


def test_without_the_workflow_the_ticket_is_read_only(login, tickets):
    session = login("police_admin")
    page = session.get(f"/admin/tickets/{tickets['late'].id}").get_data(as_text=True)
    assert "整改流程模块尚未启用" in page
    response = session.post(f"/admin/tickets/{tickets['late'].id}/action", data={"action": "close"})
    assert response.status_code == 302
    with db.connection_context():
        assert Ticket.get_by_id(tickets["late"].id).state == "new"


@pytest.fixture
def fake_workflow(monkeypatch):
    """A stand-in for `ratings.workflow` with the contract's two functions, to test the seam."""
    calls = []
    module = types.ModuleType("ratings.workflow")
    module.allowed_actions = lambda ticket, user: ["verify", "close"] if ticket.state == "new" else []

    def transition(ticket, action, actor, **fields):
        calls.append((ticket.ticket_no, action, actor.username, fields))
        Ticket.update(state="closed" if action == "close" else "verifying").where(Ticket.id == ticket.id).execute()

    module.transition = transition
    monkeypatch.setitem(sys.modules, "ratings.workflow", module)
    return calls


def test_action_forms_come_from_the_workflow(login, tickets, fake_workflow):
    session = login("police_staff")
    url = f"/admin/tickets/{tickets['late'].id}"
    page = session.get(url).get_data(as_text=True)
    assert 'data-action="verify"' in page and 'data-action="close"' in page
    session.post(url + "/action", data={"action": "verify", "note": "已电话联系群众"})
    assert fake_workflow == [(tickets["late"].ticket_no, "verify", "police_staff", {"note": "已电话联系群众"})]
    # An action the workflow does not offer now is refused before it reaches it.
    response = session.post(url + "/action", data={"action": "close"})
    assert "当前状态下不能执行该操作" in session.get(response.headers["Location"]).get_data(as_text=True)
    assert len(fake_workflow) == 1


def test_bureau_filters_the_queue_by_department(app, login, make, ratings, tickets):
    with app.app_context(), db.connection_context():
        social = ratings.rate(1, dept="social", at=dt.datetime(2026, 11, 20, 9)).ticket
    session = login("bureau")
    page = session.get(f"/admin/tickets?department={make.social.id}").get_data(as_text=True)
    assert social.ticket_no in page and tickets["late"].ticket_no not in page
    # For a department user the parameter widens nothing.
    police = login("police_staff").get(f"/admin/tickets?department={make.social.id}").get_data(as_text=True)
    assert social.ticket_no not in police and tickets["late"].ticket_no in police
