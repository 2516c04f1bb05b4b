"""The 台账 for complex cases: plan, responsible person, due date; extensions
approved by the bureau; closed item by item."""

import datetime as dt

import pytest

from models import LedgerItem
from models import Notification
from models import Ticket
from rectification import ledger
from rectification import tickets


@pytest.fixture
def rectifying(bad_ticket, staff):
    def create():
        ticket = tickets.record_verification_call(bad_ticket(), staff.police_staff, "已联系")
        return tickets.start_rectification(ticket, staff.police_staff, "属实，涉及系统改造")

    return create


def test_items_within_the_deadline_then_closed_one_by_one(rectifying, staff, refused):
    ticket = rectifying()  # due 2026-12-03
    first = ledger.put_on_ledger(ticket, "优化预约系统", "张科长", "2026-12-01", staff.police_staff)
    second = ledger.put_on_ledger(ticket, "培训窗口人员", "李主任", dt.date(2026, 12, 3), staff.police_staff)
    assert first.state == "open" and first.extension_state is None
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.on_ledger
    with refused("ledger_open", 409):
        tickets.complete_rectification(ticket, staff.police_staff, "想直接完成")
    ledger.close_ledger_item(first, "系统已上线", staff.police_staff)
    with refused("ledger_item_closed", 409):
        ledger.close_ledger_item(first, "重复销号", staff.police_staff)
    with refused("ledger_open", 409):
        tickets.complete_rectification(ticket, staff.police_staff, "还有一项")
    ledger.close_ledger_item(second, "已培训", staff.police_staff)
    assert tickets.complete_rectification(ticket, staff.police_staff, "台账全部销号").state == "rectified"
    assert [i.result for i in LedgerItem.for_ticket(ticket)] == ["系统已上线", "已培训"]


def test_a_longer_plan_needs_the_bureaus_approval(rectifying, staff, refused):
    ticket = rectifying()
    item = ledger.put_on_ledger(ticket, "改造办公场所", "王局长", "2027-01-15", staff.police_staff)
    # Until approved the item runs against the ticket's own deadline.
    assert item.due_on == dt.date(2026, 12, 3)
    assert (item.extension_state, item.extension_due_on) == ("requested", dt.date(2027, 1, 15))
    assert Notification.get(Notification.kind == "ticket.extension").department_id is None
    assert [i.id for i in LedgerItem.extensions_pending()] == [item.id]
    with refused("forbidden", 403):
        ledger.decide_extension(item, True, staff.police_admin, "部门不能自批")
    item = ledger.decide_extension(item, True, staff.bureau, "同意")
    assert item.extension_state == "approved" and item.due_on == dt.date(2027, 1, 15)
    assert Ticket.get_by_id(ticket.id).due_at == dt.datetime(2027, 1, 15, 23, 59, 59)
    with refused("no_extension_request", 409):
        ledger.decide_extension(item, True, staff.bureau, "再批一次")


def test_rejected_extension_keeps_the_deadline(rectifying, staff, refused):
    ticket = rectifying()
    item = ledger.put_on_ledger(ticket, "调整流程", "张科长", "2026-12-02", staff.police_staff)
    with refused("invalid_due", 422):
        ledger.request_extension(item, "2026-12-01", "不能提前", staff.police_staff)
    with refused("invalid_due", 422):
        ledger.request_extension(item, "明天", "格式不对", staff.police_staff)
    with refused("note_required", 422):
        ledger.request_extension(item, "2026-12-20", "", staff.police_staff)
    item = ledger.request_extension(item, "2026-12-20", "需采购设备", staff.police_staff)
    with refused("extension_pending", 409):
        ledger.request_extension(item, "2026-12-25", "再次申请", staff.police_staff)
    item = ledger.decide_extension(item, False, staff.bureau, "期限内可完成")
    assert item.extension_state == "rejected" and item.due_on == dt.date(2026, 12, 2)
    assert Ticket.get_by_id(ticket.id).due_at == dt.datetime(2026, 12, 3, 23, 59, 59)


def test_ledger_only_while_rectifying_and_only_by_the_department(bad_ticket, rectifying, staff, refused):
    with refused("illegal_transition", 409):
        ledger.put_on_ledger(bad_ticket(), "计划", "张三", "2026-12-01", staff.police_staff)
    ticket = rectifying()
    with refused("forbidden", 403):
        ledger.put_on_ledger(ticket, "计划", "张三", "2026-12-01", staff.social_staff)
    with refused("forbidden", 403):
        ledger.put_on_ledger(ticket, "计划", "张三", "2026-12-01", staff.auditor)
    with refused("invalid_due", 422):
        ledger.put_on_ledger(ticket, "计划", "张三", "2026-11-01", staff.police_staff)
    with refused("note_required", 422):
        ledger.put_on_ledger(ticket, "计划", "", "2026-12-01", staff.police_staff)
    assert not LedgerItem.select().exists()
