"""The bad-review queue (overdue first) and the ticket page."""

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from peewee import Case as SqlCase

from core import clock
from core.codes import mask_phone
from core.config import current_settings
from core.errors import ApiError
from edge.params import arg_int
from edge.params import page_arg
from models import CHANNELS
from models import LEVEL_NAMES
from models import TICKET_STATES
from models import Department
from models import Label
from models import LabelSet
from models import Rating
from models import Ticket
from models.rating import ADDENDUM
from models.ticket import FOLLOWUP_RESULTS
from models.ticket import OPEN_STATES
from rectification import workflow

from . import bp
from . import people
from . import security
from . import ticket_actions
from . import ticket_history

PER_PAGE = 50
# Who may see a rater's phone number and name in clear (each reveal is logged).
REVEAL_ROLES = ("bureau", "dept_admin", "dept_staff")


def countdown(ticket) -> tuple[str, str]:
    """(text, css class): time left to the deadline, or how long it is overdue."""
    if ticket.state not in OPEN_STATES:
        return TICKET_STATES.get(ticket.state, ticket.state), "ok"
    left = ticket.due_at - clock.now()
    seconds = int(left.total_seconds())
    days, hours = divmod(abs(seconds) // 3600, 24)
    if seconds < 0:
        return f"已超期 {days} 天 {hours} 小时", "over"
    return f"剩余 {days} 天 {hours} 小时", "soon" if seconds < 86400 else ""


@bp.route("/tickets")
def tickets():
    now = clock.now()
    state = request.args.get("state", "")
    query = Ticket.select(Ticket, Rating, Department).join(Rating).switch(Ticket).join(Department)
    query = g.scope.restrict_tickets(query)
    if state == "open":
        query = query.where(Ticket.state.in_(OPEN_STATES))
    elif state == "overdue":
        query = query.where(Ticket.state.in_(OPEN_STATES) & (Ticket.due_at < now))
    elif state in TICKET_STATES:
        query = query.where(Ticket.state == state)
    department = request.args.get("department", "")
    if g.scope.all and arg_int("department"):
        query = query.where(Ticket.department == arg_int("department"))
    overdue_first = SqlCase(None, [((Ticket.state.in_(OPEN_STATES)) & (Ticket.due_at < now), 0)], 1)
    open_next = SqlCase(None, [(Ticket.state.in_(OPEN_STATES), 0)], 1)
    query = query.order_by(overdue_first, open_next, Ticket.due_at, Ticket.id)
    page = page_arg()
    total = query.count()
    rows = list(query.paginate(page, PER_PAGE))
    return render_template(
        "admin/tickets.html",
        rows=[(t, *countdown(t)) for t in rows],
        states=TICKET_STATES,
        state=state,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        total=total,
        levels=LEVEL_NAMES,
        departments=Department.directory() if g.scope.all else [],
        department=department,
        args=request.args,
    )


def _ticket_in_scope(ticket_id: int) -> Ticket:
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None:
        abort(404)
    g.scope.check_ticket(ticket)
    return ticket


@bp.route("/tickets/<int:ticket_id>")
def ticket(ticket_id: int):
    return _render_ticket(_ticket_in_scope(ticket_id), revealed=None)


def _render_ticket(ticket: Ticket, revealed: dict | None):
    rating = ticket.rating
    case = ticket.case
    label_texts = {}
    if rating.label_codes:
        label_texts = {
            lb.code: lb.text
            for lb in Label.select(Label.code, Label.text)
            .join(LabelSet)
            .where((Label.code.in_(rating.label_codes)) & (LabelSet.version == rating.label_version))
        }
    text, css = countdown(ticket)
    events = ticket_history.history(ticket)
    return render_template(
        "admin/ticket.html",
        ticket=ticket,
        rating=rating,
        case=case,
        # The same case's other rating: the 追评, or the first rating when this ticket is the 追评's.
        other_ratings=[
            ("追评" if r.sequence == ADDENDUM else "首次评价", r)
            for r in (Rating.for_case(case) if case else [])
            if r.id != rating.id
        ],
        labels=[label_texts.get(code, code) for code in rating.label_codes],
        level_name=LEVEL_NAMES[rating.level],
        levels=LEVEL_NAMES,
        masked_phone=mask_phone(case.applicant_phone) if case else "",
        masked_name=(case.applicant_name[:1] + "*" * (len(case.applicant_name) - 1))
        if case and case.applicant_name
        else "",
        revealed=revealed,
        may_reveal=g.user.role in REVEAL_ROLES and case is not None,
        countdown=text,
        countdown_css=css,
        states=TICKET_STATES,
        channels=CHANNELS,
        followup_results=FOLLOWUP_RESULTS,
        actions=ticket_actions.available(ticket, g.user, current_settings()),
        history=events,
        appeal=ticket_history.pending_appeal(ticket, events),
        ledger=ticket_history.ledger(ticket),
        assignee=people.describe_user(ticket.assignee) if ticket.assignee_id else None,
    )


@bp.route("/tickets/<int:ticket_id>/reveal", methods=["POST"])
@security.roles(*REVEAL_ROLES)
def ticket_reveal(ticket_id: int):
    """Show the applicant's phone and name in clear, once, and log who looked."""
    ticket = _ticket_in_scope(ticket_id)
    case = ticket.case
    if case is None:
        abort(404)
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash("请填写查看原因（如：电话核实）", "error")
        return redirect(url_for("admin.ticket", ticket_id=ticket.id))
    security.audit("personal_data.reveal", f"ticket:{ticket.ticket_no}", reason=reason[:200])
    return _render_ticket(ticket, revealed={"phone": case.applicant_phone or "", "name": case.applicant_name or ""})


@bp.route("/tickets/<int:ticket_id>/action", methods=["POST"])
@security.roles("bureau", "dept_admin", "dept_staff")
def ticket_action(ticket_id: int):
    ticket = _ticket_in_scope(ticket_id)
    action = request.form.get("action", "")
    try:
        ticket_actions.perform(ticket, action, g.user, request.form)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash(f"已完成“{workflow.event_label(action)}”", "")
    if request.form.get("back") == "approvals":  # decided from the queue: back to the queue
        return redirect(url_for("admin.approvals"))
    return redirect(url_for("admin.ticket", ticket_id=ticket.id))
