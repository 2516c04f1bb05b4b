"""What staff and citizens see of a ticket: masked phones, own department only."""

from rectification import followup
from rectification import ledger
from rectification import tickets
from rectification.ticket_view import citizen_view
from rectification.ticket_view import staff_view
from rectification.ticket_view import visible_tickets


def test_staff_view_masks_the_phone_and_lists_history_and_actions(bad_ticket, staff, refused):
    ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系")
    ticket = tickets.start_rectification(ticket, staff.police_staff, "属实")
    ledger.put_on_ledger(ticket, "优化流程", "张科长", "2027-01-10", staff.police_staff)
    view = staff_view(ticket, staff.police_staff)
    assert view["case"]["applicant_phone"] == "138****8000"
    assert "13800138000" not in str(view)
    assert view["state_label"] == "整改中" and view["due_at"] == "2026-12-03T23:59:59+08:00"
    labels = ["生成工单", "联系群众核实", "确认属实并整改", "列入台账", "申请延期"]
    assert [h["label"] for h in view["history"]] == labels
    assert view["ledger"][0]["extension"]["state_label"] == "延期待审批"
    assert {a["action"] for a in view["actions"]} >= {"complete", "put_on_ledger", "close_ledger_item"}
    assert staff_view(ticket, staff.auditor)["actions"] == []
    with refused("forbidden", 403):
        staff_view(ticket, staff.social_staff)


def test_queues_by_role(bad_ticket, staff, make):
    police = bad_ticket()
    social = bad_ticket(department=make.social)
    assert [t.id for t in visible_tickets(staff.police_staff)] == [police.id]
    assert [t.id for t in visible_tickets(staff.social_staff)] == [social.id]
    assert {t.id for t in visible_tickets(staff.bureau)} == {police.id, social.id}
    assert {t.id for t in visible_tickets(staff.auditor)} == {police.id, social.id}
    assert list(visible_tickets(None)) == []


def test_citizen_view_has_the_reply_but_no_staff_notes(bad_ticket, staff):
    ticket = tickets.resolve_on_the_spot(bad_ticket(), staff.police_staff, "内部备注：窗口人员已批评教育")
    ticket = followup.send_reply(ticket, "您反映的问题已整改。", staff.police_staff)
    view = citizen_view(ticket)
    assert view["state_label"] == "已反馈" and view["reply_text"] == "您反映的问题已整改。"
    assert "内部备注" not in str(view)
