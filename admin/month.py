"""月度报送: a unit confirms its month's data; the bureau watches the submission board.

- `/admin/month/submit` (a unit's dept_admin or business contact): the unit's figures of
  the month, its open 差评 tickets and unrated cases, and the confirmation with a comment;
- `/admin/month` (bureau, auditor): every unit's state for a month — 已报送, 逾期报送,
  待报送, 逾期未报送 — with its contact (masked), and whether the month is closed;
  department roles see their own unit's row;
- every admin page shows "本月好差评数据待报送" to whoever still has to submit.
"""

from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from core import clock
from core.errors import ApiError
from figures import period
from figures import submissions
from figures.ratings import Filters
from figures.ratings import summary
from figures.rectification import open_now
from models import MonthReport
from models import Ticket
from models.ticket import OPEN_STATES

from . import bp
from . import security

MONTHS_LISTED = 13


def _month() -> str:
    month = period.parse_month(request.args.get("month") or request.form.get("month"))
    if month is None or period.is_future(month):
        return period.current_month()
    return month


@bp.context_processor
def _month_due():
    user = getattr(g, "user", None)
    return {"month_due": submissions.due_for(user) if user is not None else None}


@bp.route("/month")
@security.roles("bureau", "auditor", "dept_admin", "dept_staff")
def month_board():
    month = _month()
    rows = submissions.board(month, g.scope.department_id)
    counts = {key: sum(1 for r in rows if r["status"] == key) for key in submissions.STATUS}
    return render_template(
        "admin/month_board.html",
        month=month,
        months=period.recent(MONTHS_LISTED),
        rows=rows,
        counts=counts,
        statuses=submissions.STATUS,
        deadline=period.close_at(month),
        report=MonthReport.latest(month),
        may_submit=submissions.may_submit(g.user, g.user.department_id),
    )


@bp.route("/month/submit", methods=["GET", "POST"])
@security.roles("dept_admin", "dept_staff")
def month_submit():
    month = _month()
    department_id = g.user.department_id
    if request.method == "POST":
        try:
            submissions.submit(g.user, request.form.get("month"), request.form.get("comment"))
        except ApiError as exc:
            flash(exc.message, "error")
            return redirect(url_for("admin.month_submit", month=month))
        flash(f"{month[:4]}年{month[5:]}月好差评数据已报送", "")
        return redirect(url_for("admin.month_submit", month=month))
    start, end = period.first_day(month), period.first_day(period.shift(month, 1))
    figures = summary(Filters(start=start, end=end, department_id=department_id))
    tickets = list(
        Ticket.select()
        .where((Ticket.department == department_id) & Ticket.state.in_(OPEN_STATES))
        .order_by(Ticket.due_at, Ticket.id)
        .limit(50)
    )
    board = submissions.board(month, department_id)
    return render_template(
        "admin/month_submit.html",
        month=month,
        months=period.recent(MONTHS_LISTED),
        figures=figures,
        now_open=open_now(department_id),
        tickets=tickets,
        row=board[0] if board else None,
        deadline=period.close_at(month),
        report=MonthReport.latest(month),
        may_submit=submissions.may_submit(g.user, department_id),
        now=clock.now(),
    )
