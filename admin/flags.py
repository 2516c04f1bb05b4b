"""刷评审核: the queue of flagged ratings and the staff-identity registry.

The bureau reviews (audited); the auditor reads everything; department roles
read their own department's flags. Only the bureau keeps the registry.
"""

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from core.errors import ApiError
from edge.params import page_arg
from models import CHANNELS
from models import LEVEL_NAMES
from models import Rating
from models import RatingFlag
from models import Staff
from models import StaffIdentity
from models import Ticket
from models.fraud import REVIEW_STATES
from models.staff_identity import IDENTITY_KINDS
from ratings import fraud

from . import bp
from . import security

PER_PAGE = 50


@bp.route("/flags")
@security.roles("bureau", "dept_admin", "dept_staff", "auditor")
def flags():
    state = request.args.get("state", "pending")
    query = g.scope.restrict(RatingFlag.queue(), Rating.department)
    if state in REVIEW_STATES:
        query = query.where(RatingFlag.review_state == state)
    page = page_arg()
    rows = list(query.limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE))
    pending = g.scope.restrict(RatingFlag.queue(), Rating.department).where(RatingFlag.review_state == "pending")
    return render_template(
        "admin/flags.html",
        rows=rows[:PER_PAGE],
        more=len(rows) > PER_PAGE,
        page=page,
        state=state,
        states=REVIEW_STATES,
        pending_count=pending.count(),
        levels=LEVEL_NAMES,
        channels=CHANNELS,
        rater=describe_rater,
        ticket_of=Ticket.for_rating,
        args=request.args,
    )


@bp.route("/flags/<int:flag_id>/review", methods=["POST"])
@security.roles("bureau")
def flag_review(flag_id: int):
    flag = RatingFlag.get_or_none(RatingFlag.id == flag_id) or abort(404)
    try:
        fraud.review(flag, g.user, request.form.get("decision", ""), request.form.get("note", ""))
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash(f"评价 {flag.rating_id} 已审核", "")
    return redirect(url_for("admin.flags"))


@bp.route("/staff-identities")
@security.roles("bureau", "auditor")
def staff_identities():
    rows = StaffIdentity.select(StaffIdentity, Staff).join(Staff).order_by(Staff.code, StaffIdentity.kind)
    return render_template("admin/staff_identities.html", rows=list(rows), kinds=IDENTITY_KINDS)


@bp.route("/staff-identities", methods=["POST"])
@security.roles("bureau")
def staff_identity_new():
    staff = Staff.by_code(request.form.get("staff_code", "").strip())
    if staff is None:
        flash("没有该编号的工作人员", "error")
        return redirect(url_for("admin.staff_identities"))
    try:
        fraud.register_identity(
            staff, request.form.get("kind", ""), request.form.get("value", ""), request.form.get("note", ""), g.user
        )
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash(f"已为 {staff.name}（{staff.code}）登记", "")
    return redirect(url_for("admin.staff_identities"))


@bp.route("/staff-identities/<int:identity_id>/delete", methods=["POST"])
@security.roles("bureau")
def staff_identity_delete(identity_id: int):
    row = StaffIdentity.get_or_none(StaffIdentity.id == identity_id) or abort(404)
    fraud.remove_identity(row, g.user)
    flash("已删除该登记", "")
    return redirect(url_for("admin.staff_identities"))


def describe_rater(ref: str | None) -> str:
    """Who rated, without personal data: the channel's kind of rater, a device's id."""
    if not ref:
        return "—"
    kind, _, rest = ref.partition(":")
    if kind == "device":
        return "设备 " + rest
    return {"wx": "微信用户", "browser": "浏览器", "sms": "短信号码", "phone": "已验证手机号"}.get(kind, kind)
