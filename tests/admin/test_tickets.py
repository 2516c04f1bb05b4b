"""The bad-review queue, the ticket page, masking and the logged reveal."""

import datetime as dt

import pytest

from models import AuditLog
from models import LedgerItem
from models import Ticket
from models import TicketEvent
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


def test_action_forms_come_from_the_workflow(login, tickets):
    session = login("police_staff")
    url = f"/admin/tickets/{tickets['late'].id}"
    page = session.get(url).get_data(as_text=True)
    # A new ticket: verify by callback, or resolve on the spot; nothing later in the flow.
    assert 'data-action="verify"' in page and 'data-action="resolve_on_the_spot"' in page
    assert 'data-action="close"' not in page and 'data-action="approve_appeal"' not in page
    session.post(url + "/action", data={"action": "verify", "note": "已电话联系群众"})
    with db.connection_context():
        ticket = Ticket.get_by_id(tickets["late"].id)
        assert ticket.state == "verifying"
        [event] = [e for e in TicketEvent.history(ticket) if e.action == "verify"]
        assert (event.note, event.actor_ref) == ("已电话联系群众", "user:police_staff")
    assert "已电话联系群众" in session.get(url).get_data(as_text=True)
    # An action the workflow does not allow is refused by it, with its message.
    response = session.post(url + "/action", data={"action": "close", "note": "x"})
    assert "“销号”" in session.get(response.headers["Location"]).get_data(as_text=True)
    with db.connection_context():
        assert Ticket.get_by_id(tickets["late"].id).state == "verifying"


def test_the_auditor_gets_no_action_forms(login, tickets):
    page = login("auditor").get(f"/admin/tickets/{tickets['late'].id}").get_data(as_text=True)
    assert "data-action=" not in page and "审计角色只读" in page


def test_ledger_steps_from_the_ticket_page(app, login, tickets):
    session = login("police_admin")
    url = f"/admin/tickets/{tickets['fresh'].id}"
    session.post(url + "/action", data={"action": "verify", "note": "属实"})
    session.post(url + "/action", data={"action": "rectify", "note": "窗口人手不足"})
    session.post(
        url + "/action",
        data={"action": "put_on_ledger", "note": "增设一个窗口", "responsible": "王科长", "due": "2026-11-30"},
    )
    with db.connection_context():
        [item] = list(LedgerItem.open_for(tickets["fresh"]))
        assert (item.plan, item.responsible) == ("增设一个窗口", "王科长")
    session.post(url + "/action", data={"action": "close_ledger_item", "item": str(item.id), "note": "已增设"})
    session.post(url + "/action", data={"action": "complete", "note": "整改完成"})
    with db.connection_context():
        assert Ticket.get_by_id(tickets["fresh"].id).state == "rectified"


def test_bureau_filters_the_queue_by_department(app, login, make, ratings, tickets):
    with app.app_context(), db.connection_context():
        social = ratings.rate(1, dept="social", at=dt.datetime(2026, 11, 20, 9)).ticket
    session = login("bureau")
    page = session.get(f"/admin/tickets?department={make.social.id}").get_data(as_text=True)
    assert social.ticket_no in page and tickets["late"].ticket_no not in page
    # For a department user the parameter widens nothing.
    police = login("police_staff").get(f"/admin/tickets?department={make.social.id}").get_data(as_text=True)
    assert social.ticket_no not in police and tickets["late"].ticket_no in police
