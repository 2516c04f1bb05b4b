"""Department staff work their own tickets: those assigned to them, and unassigned ones."""

import datetime as dt

from models import Ticket
from models import User
from models import db


def test_department_staff_see_only_their_own_and_unassigned_tickets(app, login, ratings, staff):
    with app.app_context(), db.connection_context():
        mine = ratings.rate(1, at=dt.datetime(2026, 11, 20, 9)).ticket
        colleagues = ratings.rate(2, at=dt.datetime(2026, 11, 21, 9)).ticket
        pool = ratings.rate(2, at=dt.datetime(2026, 11, 22, 9)).ticket
        me = User.by_username("police_staff")
        admin = User.by_username("police_admin")
        Ticket.update(assignee=me).where(Ticket.id == mine.id).execute()
        Ticket.update(assignee=admin).where(Ticket.id == colleagues.id).execute()
        Ticket.update(assignee=None).where(Ticket.id == pool.id).execute()
    session = login("police_staff")
    queue = session.get("/admin/tickets").get_data(as_text=True)
    assert mine.ticket_no in queue and pool.ticket_no in queue
    assert colleagues.ticket_no not in queue
    assert session.get(f"/admin/tickets/{colleagues.id}").status_code == 404
    assert session.get(f"/admin/tickets/{mine.id}").status_code == 200
    # The department admin sees every ticket of the department.
    everything = login("police_admin").get("/admin/tickets").get_data(as_text=True)
    assert all(t.ticket_no in everything for t in (mine, colleagues, pool))
