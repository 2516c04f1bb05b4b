"""The audit log, read-only, for the bureau and the auditor."""

from flask import render_template
from flask import request

from edge.params import page_arg
from models import AuditLog

from . import bp
from . import security

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
    return render_template(
        "admin/audit.html",
        rows=rows[:PER_PAGE],
        more=len(rows) > PER_PAGE,
        page=page,
        actor=actor,
        action=action,
        args=request.args,
    )
