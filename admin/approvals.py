"""待审批: what waits for the bureau — 台账 extension requests, decided here, and
appeals with their reason and evidence, decided on the ticket page."""

from flask import g
from flask import render_template

from models import LedgerItem
from models import Ticket
from models import TicketEvent

from . import bp
from . import security
from .people import actor_names


@bp.route("/approvals")
@security.roles("bureau", "auditor")
def approvals():
    department = g.scope.department_id
    extensions = list(LedgerItem.extensions_pending(department))
    appeals = list(Ticket.appeals_pending(department))
    appealed = TicketEvent.latest("appeal", [t.id for t in appeals])
    names = actor_names(e.actor_ref for e in appealed.values())
    return render_template(
        "admin/approvals.html",
        extensions=extensions,
        appeals=[
            (t, appealed.get(t.id), names.get(getattr(appealed.get(t.id), "actor_ref", None), "")) for t in appeals
        ],
    )
