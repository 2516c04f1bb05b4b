"""The bureau's 回访 queue in the admin, and the same rule over HTTP: a department's POST of a
回访 is refused, the bureau's is recorded, and the department sees the result."""

import datetime as dt

from models import Ticket
from models import db
from rectification import followup
from rectification import tickets


def replied_ticket(app, make, staff, ratings):
    with app.app_context(), db.connection_context():
        ticket = ratings.rate(1, at=dt.datetime(2026, 11, 20, 10)).ticket
        ticket = tickets.resolve_on_the_spot(ticket, staff["police_admin"], "当场解决")
        return followup.send_reply(ticket, "已整改。", staff["police_admin"])


def test_the_department_cannot_record_its_own_followup(app, make, staff, ratings, login):
    ticket = replied_ticket(app, make, staff, ratings)
    police = login("police_admin")
    page = police.get(f"/admin/tickets/{ticket.id}").get_data(as_text=True)
    assert 'data-action="followup"' not in page
    data = {"action": "followup", "satisfaction": "satisfied", "channel": "phone", "note": "自评满意"}
    police.post(f"/admin/tickets/{ticket.id}/action", data)
    with app.app_context(), db.connection_context():
        assert Ticket.get_by_id(ticket.id).state == "replied"
    assert police.get("/admin/followups").status_code == 403
    assert police.post("/admin/followups", {"ticket": ticket.id, "satisfaction": "satisfied"}).status_code == 403
    # The bureau's queue lists it and records the phone 回访.
    bureau = login("bureau")
    queue = bureau.get("/admin/followups").get_data(as_text=True)
    assert f'data-ticket="{ticket.ticket_no}"' in queue and "短信回访" in queue
    bureau.post(
        "/admin/followups", {"ticket": ticket.id, "satisfaction": "satisfied", "channel": "phone", "note": "群众满意"}
    )
    with app.app_context(), db.connection_context():
        done = Ticket.get_by_id(ticket.id)
        assert (done.state, done.followup_result, done.followup_channel) == ("followed_up", "satisfied", "phone")
    assert f'data-ticket="{ticket.ticket_no}"' not in bureau.get("/admin/followups").get_data(as_text=True)
    # The department sees the result on its ticket.
    assert "电话回访：满意" in police.get(f"/admin/tickets/{ticket.id}").get_data(as_text=True)
    # The auditor reads the queue and changes nothing.
    auditor = login("auditor")
    assert auditor.get("/admin/followups").status_code == 200
    assert auditor.post("/admin/followups", {"ticket": ticket.id, "satisfaction": "unsatisfied"}).status_code == 403
