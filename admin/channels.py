"""What left the process and what is waiting: the SMS invitations (every
invitation's state, why it failed or waits) and the push to the city system
(backlog, rejected ratings with the city's reason, reconciliation results,
and whether the scheduler runs). Department roles see their own department."""

from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from edge.params import page_arg
from jobs.status import job_runs
from jobs.status import scheduler_health
from models import INVITATION_STATE_NAMES
from sms import queries as sms_queries
from upstream import status as upstream_status

from . import bp
from . import security

PER_PAGE = 50
STAFF_ROLES = ("bureau", "dept_admin", "auditor")


@bp.route("/invitations")
@security.roles(*STAFF_ROLES)
def invitations():
    """Every SMS invitation with its state, newest first."""
    state = request.args.get("state") or None
    if state not in INVITATION_STATE_NAMES:
        state = None
    page = page_arg()
    department = g.scope.department_id
    rows = sms_queries.listing(state=state, department=department, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    return render_template(
        "admin/invitations.html",
        rows=rows[:PER_PAGE],
        more=len(rows) > PER_PAGE,
        page=page,
        state=state,
        counts=sms_queries.state_counts(department),
        states=INVITATION_STATE_NAMES,
        unanswered=sms_queries.replies_needing_attention(20) if g.scope.all else [],
        args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/upstream")
@security.roles(*STAFF_ROLES)
def upstream():
    """The push to the city system: backlog, rejections, reconciliation, scheduler."""
    return render_template(
        "admin/upstream.html",
        backlog=upstream_status.backlog(),
        failures=upstream_status.failures(g.scope.department_id, limit=100),
        reconciliations=upstream_status.reconciliations(10) if g.scope.all else [],
        jobs=job_runs() if g.scope.all else [],
        scheduler=scheduler_health() if g.scope.all else None,
    )


@bp.route("/upstream/retry", methods=["POST"])
@security.roles("bureau")
def upstream_retry():
    """Push the rejected ratings again, once their data has been corrected."""
    count = upstream_status.retry_rejected(security.actor())
    flash(f"已重新排队推送 {count} 条被退回的评价" if count else "没有被退回的评价", "")
    return redirect(url_for("admin.upstream"))
