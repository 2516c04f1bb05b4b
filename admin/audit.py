"""The audit log, read-only, for the bureau and the auditor: in Chinese — who by
name and role, the action's name, the object, the details as label/value pairs."""

from flask import render_template
from flask import request

from edge.params import page_arg
from models import AuditLog
from models import Ticket

from . import audit_words
from . import bp
from . import security
from .people import actor_names

PER_PAGE = 100


@bp.route("/audit")
@security.roles("bureau", "auditor")
def audit_log():
    query = AuditLog.select().order_by(AuditLog.id.desc())
    actor = request.args.get("actor", "").strip()
    action = request.args.get("action", "").strip()
    if actor:
        query = query.where(AuditLog.actor.contains(actor))
    if action:
        query = query.where(AuditLog.action.startswith(action))
    page = page_arg()
    rows = list(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE))
    shown = rows[:PER_PAGE]
    return render_template(
        "admin/audit.html",
        entries=_entries(shown),
        more=len(rows) > PER_PAGE,
        page=page,
        actor=actor,
        action=action,
        filters=audit_words.FILTERS,
        args=request.args,
    )


def _entries(rows) -> list[dict]:
    names = actor_names(r.actor for r in rows)
    numbers = [r.target.partition(":")[2] for r in rows if r.target.startswith("ticket:")]
    tickets = (
        dict(Ticket.select(Ticket.ticket_no, Ticket.id).where(Ticket.ticket_no.in_(numbers)).tuples())
        if numbers
        else {}
    )
    entries = []
    for r in rows:
        detail = audit_words.parse(r.detail)
        entries.append(
            {
                "at": r.at,
                "actor": names.get(r.actor, r.actor),
                "action": audit_words.action_name(r.action),
                "code": r.action,
                "target": audit_words.target_text(r.target, detail),
                "ticket_id": tickets.get(r.target.partition(":")[2]) if r.target.startswith("ticket:") else None,
                "details": audit_words.details(r.action, r.detail),
            }
        )
    return entries
