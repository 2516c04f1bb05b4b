"""The state machine: every transition, every refused one, who may act, and the record each step leaves."""

import pytest

from core import clock
from models import TICKET_STATES
from models import AuditLog
from models import Notification
from models import Outbox
from models import Rating
from models import Ticket
from models import TicketContact
from models import TicketEvent
from rectification import followup
from rectification import tickets
from rectification import workflow


def events(ticket):
    return [(e.action, e.from_state, e.to_state) for e in TicketEvent.history(ticket)]


def test_ticket_opens_for_the_handling_department_with_default_assignee(bad_ticket, staff, make):
    ticket = bad_ticket()
    assert ticket.state == "new"
    assert ticket.department_id == make.police.id
    # No contact configured: the department's first active admin.
    assert ticket.assignee_id == staff.police_admin.id
    assert ticket.due_from == clock.now()
    assert not ticket.due_provisional
    assert events(ticket) == [("open", None, "new")]
    note = Notification.get(Notification.kind == "ticket.new")
    assert note.department_id == make.police.id and ticket.ticket_no in note.text


def test_configured_contact_is_the_default_assignee(bad_ticket, staff, make, refused):
    tickets.set_contact(make.police, staff.police_staff, staff.police_admin)
    assert TicketContact.user_for(make.police).id == staff.police_staff.id
    assert bad_ticket().assignee_id == staff.police_staff.id
    # A contact who left (inactive) or moved to another department is passed over: the first admin.
    staff.police_staff.active = False
    staff.police_staff.save()
    assert bad_ticket().assignee_id == staff.police_admin.id
    staff.police_staff.active = True
    staff.police_staff.department = make.social
    staff.police_staff.save()
    assert bad_ticket().assignee_id == staff.police_admin.id
    staff.police_staff.department = make.police
    staff.police_staff.save()
    with refused("forbidden", 403):
        tickets.set_contact(make.police, staff.police_staff, staff.social_staff)
    with refused("invalid_assignee", 422):
        tickets.set_contact(make.police, staff.social_staff, staff.bureau)


def test_fallbacks_staff_then_unassigned(bad_ticket, make, staff):
    ticket = bad_ticket(department=make.social)
    assert ticket.department_id == make.social.id
    assert ticket.assignee_id == staff.social_staff.id  # no admin: the first active staff member
    staff.social_staff.active = False
    staff.social_staff.save()
    assert bad_ticket(department=make.social).assignee_id is None


def test_reassignment_within_the_department_only(bad_ticket, staff, refused):
    ticket = bad_ticket()
    ticket = tickets.assign(ticket, staff.police_staff, staff.police_admin)
    assert ticket.assignee_id == staff.police_staff.id
    assert events(ticket)[-1] == ("assign", None, None)
    assert Notification.select().where(Notification.user == staff.police_staff).exists()
    with refused("invalid_assignee", 422):
        tickets.assign(ticket, staff.social_staff, staff.police_admin)
    with refused("forbidden", 403):
        tickets.assign(ticket, staff.police_admin, staff.police_staff)  # staff cannot reassign


def test_full_rectification_path(bad_ticket, staff):
    ticket = bad_ticket()
    actor = staff.police_staff
    ticket = tickets.record_verification_call(ticket, actor, "已电话联系群众，了解到窗口等候时间过长")
    assert ticket.state == "verifying" and ticket.verification_call_at == clock.now()
    ticket = tickets.start_rectification(ticket, actor, "情况属实")
    assert ticket.state == "rectifying"
    ticket = tickets.complete_rectification(ticket, actor, "增开窗口，调整排班")
    assert ticket.state == "rectified" and ticket.resolved_at == clock.now()
    assert ticket.resolution_text == "增开窗口，调整排班"
    ticket = followup.send_reply(ticket, "您反映的问题已整改：增开窗口。", actor)
    assert ticket.state == "replied" and ticket.reply_count == 1
    # The 回访 is the bureau's (rectification.followup_by = "bureau"), the 销号 the department's again.
    ticket = followup.record_followup(ticket, "satisfied", channel="phone", actor=staff.bureau)
    assert ticket.state == "followed_up" and ticket.followup_result == "satisfied"
    ticket = tickets.close(ticket, staff.police_admin)
    assert ticket.state == "closed" and ticket.closed_at == clock.now()
    assert events(ticket) == [
        ("open", None, "new"),
        ("verify", "new", "verifying"),
        ("rectify", "verifying", "rectifying"),
        ("complete", "rectifying", "rectified"),
        ("reply", "rectified", "replied"),
        ("followup", "replied", "followed_up"),
        ("close", "followed_up", "closed"),
    ]
    history = tickets.history(ticket)
    assert history[1]["actor"] == "user:police_staff" and "等候时间" in history[1]["note"]
    audit = [row.action for row in AuditLog.select().order_by(AuditLog.id)]
    assert audit == [f"ticket.{name}" for name, _, _ in events(ticket)]
    # Notes quote the citizen; the audit log keeps only the step.
    assert all("等候" not in row.detail for row in AuditLog.select())


def test_on_the_spot_is_recorded_as_such(bad_ticket, staff):
    ticket = tickets.resolve_on_the_spot(bad_ticket(), staff.police_staff, "现场为群众补办完成")
    assert ticket.state == "rectified" and ticket.on_the_spot
    assert ticket.verification_call_at == clock.now() and ticket.resolved_at == clock.now()
    assert events(ticket)[-1] == ("resolve_on_the_spot", "new", "rectified")


def test_explanation_is_the_reply(bad_ticket, staff):
    ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系")
    ticket = tickets.explain(ticket, staff.police_staff, "该诉求无法律依据：身份证换领须本人到场。")
    assert ticket.state == "explained"
    ticket = followup.send_reply(ticket, None, staff.police_staff)
    assert ticket.reply_text == "该诉求无法律依据：身份证换领须本人到场。"
    notice = Outbox.get(Outbox.kind == "ticket.reply_notice")
    assert notice.dedupe_key == f"reply:{ticket.id}:1" and notice.data == {"ticket_id": ticket.id}


def test_appeal_approved_excludes_the_rating_and_closes(bad_ticket, staff, refused):
    ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "群众表示误点")
    with refused("note_required", 422):
        tickets.appeal(ticket, staff.police_staff, "误评", "")
    ticket = tickets.appeal(ticket, staff.police_staff, "群众误操作", "通话录音 2026-11-26 10:05")
    assert ticket.state == "appeal" and ticket.appeal_from == "verifying"
    assert Notification.get(Notification.kind == "ticket.appeal").department_id is None
    assert [t.id for t in Ticket.appeals_pending()] == [ticket.id]
    assert "ticket.appeal" in [n.kind for n in Notification.for_user(staff.bureau)]
    assert "ticket.appeal" not in [n.kind for n in Notification.for_user(staff.police_admin)]
    with refused("forbidden", 403):
        tickets.decide_appeal(ticket, True, staff.police_admin, "部门不能自批")
    ticket = tickets.decide_appeal(ticket, True, staff.bureau, "录音证实为误评")
    assert ticket.state == "closed"
    rating = Rating.get_by_id(ticket.rating_id)
    assert rating.excluded and "录音证实为误评" in rating.excluded_reason
    assert rating.id not in [r.id for r in Rating.counted()]
    assert TicketEvent.history(ticket)[-2].evidence == "通话录音 2026-11-26 10:05"


def test_appeal_rejected_goes_back_where_it_was(bad_ticket, staff):
    ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系")
    due = ticket.due_at
    ticket = tickets.appeal(ticket, staff.police_staff, "恶意差评", "多次无理要求的记录")
    ticket = tickets.decide_appeal(ticket, False, staff.bureau, "证据不足")
    assert ticket.state == "verifying" and ticket.due_at == due
    assert not Rating.get_by_id(ticket.rating_id).excluded
    assert events(ticket)[-1] == ("reject_appeal", "appeal", "verifying")


# Every (action, state) pair the machine does not allow is refused, even for the bureau.
@pytest.mark.parametrize("name", list(workflow.ACTIONS))
def test_illegal_transitions_are_refused(bad_ticket, staff, refused, name):
    ticket = bad_ticket()
    sources = workflow.ACTIONS[name].sources
    for state in [state for state in TICKET_STATES if state not in sources]:
        Ticket.update(state=state).where(Ticket.id == ticket.id).execute()
        current = Ticket.get_by_id(ticket.id)
        with refused("illegal_transition", 409):
            workflow.move(current, name, staff.bureau, "说明", target="verifying")
        assert Ticket.get_by_id(ticket.id).state == state
    assert TicketEvent.select().where(TicketEvent.ticket == ticket).count() == 1
    assert len(sources) + sum(1 for state in TICKET_STATES if state not in sources) == len(TICKET_STATES)


def test_service_functions_refuse_out_of_order_steps(bad_ticket, staff, refused):
    ticket = bad_ticket()
    actor = staff.police_staff
    with refused("illegal_transition", 409):
        tickets.complete_rectification(ticket, actor, "未核实就完成")
    with refused("illegal_transition", 409):
        followup.send_reply(ticket, "答复", actor)
    with refused("illegal_transition", 409):
        tickets.explain(ticket, actor, "未核实")
    with refused("illegal_transition", 409):
        tickets.close(ticket, staff.police_admin)
    with refused("illegal_transition", 409):
        followup.record_followup(ticket, "satisfied", channel="phone", actor=staff.bureau)


def test_who_may_act(bad_ticket, staff, refused):
    ticket = bad_ticket()
    with refused("forbidden", 403):
        tickets.record_verification_call(ticket, staff.social_staff, "别的部门")
    with refused("forbidden", 403):
        tickets.record_verification_call(ticket, staff.auditor, "只读")
    with refused("forbidden", 403):
        tickets.record_verification_call(ticket, None, "系统")
    staff.police_staff.active = False
    with refused("forbidden", 403):
        tickets.record_verification_call(ticket, staff.police_staff, "已停用")
    # The bureau may act on every ticket.
    assert tickets.record_verification_call(ticket, staff.bureau, "区局直接回访").state == "verifying"


def test_dept_staff_cannot_close(bad_ticket, staff, refused):
    ticket = bad_ticket()
    Ticket.update(state="followed_up").where(Ticket.id == ticket.id).execute()
    with refused("forbidden", 403):
        tickets.close(Ticket.get_by_id(ticket.id), staff.police_staff)


def test_notes_are_required_and_bounded(bad_ticket, staff, refused):
    ticket = bad_ticket()
    with refused("note_required", 422):
        tickets.record_verification_call(ticket, staff.police_staff, "   ")
    with refused("note_too_long", 422):
        tickets.record_verification_call(ticket, staff.police_staff, "长" * 2001)
    with refused("invalid_note", 422):
        tickets.record_verification_call(ticket, staff.police_staff, 42)
    assert Ticket.get_by_id(ticket.id).state == "new"


def test_a_stale_ticket_loses_the_race(bad_ticket, staff, refused):
    ticket = bad_ticket()
    stale = Ticket.get_by_id(ticket.id)
    tickets.record_verification_call(ticket, staff.police_staff, "甲已回访")
    with refused("ticket_changed", 409):
        tickets.resolve_on_the_spot(stale, staff.police_admin, "乙也在处理")
    assert Ticket.get_by_id(ticket.id).state == "verifying"


def test_allowed_actions_follow_state_and_role(bad_ticket, staff):
    ticket = bad_ticket()
    names = lambda user: [a["action"] for a in workflow.allowed_actions(ticket, user)]  # noqa: E731
    assert names(staff.police_staff) == ["verify", "resolve_on_the_spot"]
    assert names(staff.police_admin) == ["verify", "resolve_on_the_spot", "assign"]
    assert names(staff.social_staff) == []
    assert names(staff.auditor) == []
    ticket = tickets.appeal(
        tickets.record_verification_call(ticket, staff.police_staff, "已联系"), staff.police_staff, "误评", "录音"
    )
    assert names(staff.police_admin) == []
    assert names(staff.bureau) == ["approve_appeal", "reject_appeal"]
    assert workflow.allowed_actions(ticket, staff.bureau)[0]["label"] == "申诉通过"


def test_reply_notice_and_followup_question_in_the_same_transaction(bad_ticket, staff):
    ticket = tickets.resolve_on_the_spot(bad_ticket(), staff.police_staff, "已解决")
    ticket = followup.send_reply(ticket, "已为您办结。", staff.police_staff)
    question = Outbox.get(Outbox.kind == "sms.message")
    payload = question.data
    assert payload["phone"] == "13800138000" and payload["purpose"] == "followup"
    assert payload["ref"] == f"ticket:{ticket.id}"
    assert "5非常满意 4满意 3基本满意 2不满意 1非常不满意" in payload["text"]
    assert payload["context"] == {"scale": "levels"}  # the prompt keeps the meaning it was sent with
    # Asked after the configured delay (24 h), so the reply is read first.
    assert question.available_at == ticket.followup_asked_at
    assert (ticket.followup_asked_at - ticket.replied_at).total_seconds() == 24 * 3600


def test_transition_by_name_runs_each_actions_own_rules(bad_ticket, staff, refused):
    ticket = bad_ticket()
    actor = staff.police_staff
    with refused("unknown_action", 422):
        tickets.transition(ticket, "teleport", actor)
    ticket = tickets.transition(ticket, "verify", actor, "已联系")
    ticket = tickets.transition(ticket, "rectify", actor, "属实")
    ticket = tickets.transition(ticket, "complete", actor, "已整改")
    assert ticket.resolved_at == clock.now() and ticket.resolution_text == "已整改"
    ticket = tickets.transition(ticket, "reply", actor, "已整改，感谢监督。")
    assert Outbox.select().where(Outbox.kind == "ticket.reply_notice").count() == 1
    with refused("invalid_satisfaction", 422):
        tickets.transition(ticket, "followup", staff.bureau)
    ticket = tickets.transition(ticket, "followup", staff.bureau, satisfaction="satisfied", channel="phone")
    ticket = tickets.transition(ticket, "close", staff.police_admin)
    assert ticket.state == "closed"
    other = tickets.transition(bad_ticket(), "verify", actor, "已联系")
    other = tickets.transition(other, "appeal", actor, "误评", evidence="录音")
    assert tickets.transition(other, "reject_appeal", staff.bureau, "不予支持").state == "verifying"
