"""回访队列: the bureau's phone 回访 of replied 差评 (seed: 区行政审批局 leads the 回访).

Every replied ticket waits here for its 回访: the SMS question is out (the citizen may
still answer it), unanswered (phone now), or impossible (no phone). Bureau staff phone
the citizen and record the result; the rectifying department sees the result on the
ticket and cannot record it (`rectification.workflow`, `rectification.followup_by`).
"""

from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from core import clock
from core.codes import mask_phone
from core.config import current_settings
from core.errors import ApiError
from edge.params import form_int
from models import LEVEL_NAMES
from models import Ticket
from models.ticket import FOLLOWUP_CHANNELS
from models.ticket import FOLLOWUP_RESULTS
from rectification import tickets as ticket_service

from . import bp
from . import security

PER_PAGE = 100


def _waiting(ticket: Ticket, now, answer_days: int) -> tuple[str, str]:
    """(what the 回访 waits for, css): the SMS answer, or a phone call."""
    if ticket.followup_asked_at is None:
        return "无手机号，需电话回访", "over"
    if ticket.followup_asked_at > now:
        return f"短信回访将于 {ticket.followup_asked_at:%m-%d %H:%M} 发出", ""
    if (now - ticket.followup_asked_at).days >= answer_days:
        return "短信回访未获答复，需电话回访", "over"
    return "短信回访已发出，等待答复", "soon"


@bp.route("/followups", methods=["GET", "POST"])
@security.roles("bureau", "auditor")
def followups():
    rect = current_settings().rectification
    if request.method == "POST":
        ticket = Ticket.get_or_none(Ticket.id == form_int("ticket", 0))
        if ticket is None:
            flash("工单不存在", "error")
            return redirect(url_for("admin.followups"))
        try:
            ticket_service.transition(
                ticket,
                "followup",
                g.user,
                note=(request.form.get("note") or "").strip() or None,
                satisfaction=request.form.get("satisfaction"),
                channel=request.form.get("channel") or "phone",
            )
        except ApiError as exc:
            flash(f"{ticket.ticket_no}：{exc.message}", "error")
        else:
            flash(f"{ticket.ticket_no} 的回访结果已记录", "")
        return redirect(url_for("admin.followups"))
    now = clock.now()
    rows = []
    for ticket in Ticket.followup_queue().limit(PER_PAGE):
        text, css = _waiting(ticket, now, rect.followup_answer_days)
        rows.append(
            {
                "ticket": ticket,
                "level": LEVEL_NAMES.get(ticket.rating.level, ""),
                "phone": mask_phone(ticket.case.applicant_phone) if ticket.case_id else "",
                "waiting": text,
                "css": css,
            }
        )
    return render_template(
        "admin/followups.html",
        rows=rows,
        total=Ticket.followup_queue().count(),
        results=[(code, FOLLOWUP_RESULTS[code]) for code in list(rect.followup_scale) + ["unreachable"]],
        channels=[(code, FOLLOWUP_CHANNELS[code]) for code in ("phone", "none")],
        by_bureau=rect.followup_by == "bureau",
    )
