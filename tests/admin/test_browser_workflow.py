"""Every staff action on a bad-review ticket, walked in Chromium by the role that takes it.

The ticket page offers only what the state allows and the user's role may
take, in the order of the workflow; the bureau decides extension requests
from its 待审批 queue and appeals on the evidence. Who records the 回访 is
asked of the workflow (configuration decides it), not assumed here.
"""

import pytest
from playwright.sync_api import expect

from models import Department
from models import Ticket
from models import User
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from rectification import workflow

from .test_browser import PHONE
from .test_browser import act
from .test_browser import browser  # noqa: F401
from .test_browser import log_in
from .test_browser import server  # noqa: F401

STAFF = "police_staff（部门工作人员，区公安分局）"
BUREAU = "bureau（区行政审批局）"


@pytest.fixture
def tickets(app, server):  # noqa: F811
    """The server fixture's police tickets (clock: 2026-11-26 10:00), assigned to police_staff,
    the department's contact: the 差评 of 10-15 (overdue) and that of 11-24 (due 2026-12-01)."""
    with app.app_context(), db.connection_context():
        police = [t.id for t in Ticket.select().join(Department).where(Department.code == "GAJ").order_by(Ticket.id)]
    assert len(police) == 2
    return {"old": police[0], "new": police[1]}


def open_ticket(page, base, ticket_id):
    page.goto(f"{base}/admin/tickets/{ticket_id}")
    expect(page.locator("#ticket-state")).to_be_visible()


def offered(page) -> list[str]:
    return page.locator("#actions form").evaluate_all("forms => forms.map(f => f.dataset.action)")


def who_records_followup(app, ticket_id) -> str:
    """The first of the department's staff and the bureau whom the workflow lets record the 回访."""
    with app.app_context(), db.connection_context():
        ticket = Ticket.get_by_id(ticket_id)
        assert ticket.state == "replied"
        for name in ("police_staff", "police_admin", "bureau"):
            if workflow.may(ticket, "followup", User.by_username(name)):
                return name
    raise AssertionError("nobody may record the 回访")


def test_rectify_with_a_ledger_extension_approved_and_refused_then_close(app, browser, server, tickets):  # noqa: F811
    staff = log_in(browser, server, "police_staff")
    open_ticket(staff, server, tickets["new"])
    assert offered(staff) == ["verify", "resolve_on_the_spot"]
    act(staff, "verify", note="已电话联系群众，材料被退回属实")
    expect(staff.locator("#ticket-state")).to_have_text("核实中")
    assert offered(staff) == ["resolve_on_the_spot", "rectify", "explain", "appeal"]
    act(staff, "rectify", note="情况属实：窗口未一次性告知材料")
    expect(staff.locator("#ticket-state")).to_have_text("整改中")
    # No 台账 item yet: nothing to extend or close, so no such form.
    assert offered(staff) == ["put_on_ledger", "complete"]
    act(staff, "put_on_ledger", note="修订材料清单并培训窗口人员", responsible="李科长", due="2026-12-20")
    ledger = staff.locator("#ledger")
    expect(ledger).to_contain_text("延期待审批（至 2026-12-20）")
    # The only item waits for the bureau and is open: no second request, no 整改完成 yet.
    assert offered(staff) == ["put_on_ledger", "close_ledger_item"]

    bureau = log_in(browser, server, "bureau")
    bureau.goto(server + "/admin/tickets")
    bureau.click("header.top >> text=待审批")
    row = bureau.locator("#extensions tbody tr", has_text="修订材料清单并培训窗口人员")
    expect(row).to_contain_text("2026-12-20")
    expect(row).to_contain_text("整改计划需至 2026-12-20 完成，超出整改期限")
    row.locator("textarea").fill("同意，请按计划完成")
    row.locator('button[value="approve"]').click()
    expect(bureau.locator(".flash")).to_contain_text("已完成“审批延期”")
    expect(bureau.locator("#extensions")).to_contain_text("没有待审批的延期申请")

    open_ticket(staff, server, tickets["new"])
    expect(staff.locator("#ledger")).to_contain_text("延期已批准（至 2026-12-20）")
    expect(staff.locator("#ticket-due")).to_contain_text("2026-12-20 23:59")
    assert offered(staff) == ["put_on_ledger", "request_extension", "close_ledger_item"]
    act(staff, "request_extension", due="2027-01-10", note="培训需等新系统上线")

    bureau.reload()
    row = bureau.locator("#extensions tbody tr", has_text="培训需等新系统上线")
    expect(row).to_contain_text("2027-01-10")
    row.locator('button[value="reject"]').click()
    expect(bureau.locator(".flash.error")).to_contain_text("请填写审批意见")  # the page says what is missing
    row = bureau.locator("#extensions tbody tr", has_text="培训需等新系统上线")
    row.locator("textarea").fill("不同意，应在批准的期限内完成")
    row.locator('button[value="reject"]').click()
    expect(bureau.locator("#extensions")).to_contain_text("没有待审批的延期申请")

    open_ticket(staff, server, tickets["new"])
    expect(staff.locator("#ledger")).to_contain_text("延期已驳回（至 2027-01-10）")
    expect(staff.locator("#ticket-due")).to_contain_text("2026-12-20 23:59")
    act(staff, "close_ledger_item", note="材料清单已修订，培训已完成")
    assert offered(staff) == ["put_on_ledger", "complete"]
    act(staff, "complete", note="已按台账整改完毕")
    expect(staff.locator("#ticket-state")).to_have_text("已整改")
    assert offered(staff) == ["reply"]
    act(staff, "reply", note="您反映的材料问题已整改，感谢监督")
    expect(staff.locator("#ticket-state")).to_have_text("已反馈")

    recorder = who_records_followup(app, tickets["new"])
    page = staff if recorder == "police_staff" else bureau
    open_ticket(page, server, tickets["new"])
    act(page, "followup", satisfaction="satisfied", channel="phone", note="群众表示满意")
    expect(page.locator("#ticket-state")).to_have_text("已回访")

    admin = log_in(browser, server, "police_admin")
    open_ticket(admin, server, tickets["new"])
    assert offered(admin) == ["close"]
    act(admin, "close", note="整改到位")
    expect(admin.locator("#ticket-state")).to_have_text("已销号")
    history = admin.locator("#history")
    for text in (
        "联系群众核实",
        "列入台账",
        "申请延期",
        "审批延期",
        "台账销号",
        "记录回访",
        "核实中 → 整改中",
        STAFF,
        BUREAU,
    ):
        expect(history).to_contain_text(text)
    expect(history).not_to_contain_text("user:")
    expect(history).not_to_contain_text("system")
    for page in (staff, bureau, admin):
        page.context.close()


def test_resolved_on_the_spot_and_replied(browser, server, tickets):  # noqa: F811
    staff = log_in(browser, server, "police_staff")
    open_ticket(staff, server, tickets["old"])
    expect(staff.locator("#countdown")).to_contain_text("已超期")
    act(staff, "resolve_on_the_spot", note="群众到窗口后当场补办完成")
    expect(staff.locator("#ticket-state")).to_have_text("已整改")
    act(staff, "reply", note="已当场为您办结，感谢监督")
    expect(staff.locator("#ticket-state")).to_have_text("已反馈")
    expect(staff.locator("#history")).to_contain_text("当场解决")
    staff.context.close()


def test_appeal_with_evidence_refused_then_granted_by_the_bureau(browser, server, tickets):  # noqa: F811
    staff = log_in(browser, server, "police_staff")
    open_ticket(staff, server, tickets["new"])
    act(staff, "verify", note="已联系群众")
    act(staff, "appeal", note="群众误评：办件当日已办结", evidence="通话录音 2026-11-24 10:05，群众确认误点")
    expect(staff.locator("#ticket-state")).to_have_text("申诉审核中")
    assert offered(staff) == []

    bureau = log_in(browser, server, "bureau")
    bureau.goto(server + "/admin/approvals")
    row = bureau.locator("#appeals tbody tr", has_text="群众误评")
    expect(row).to_contain_text("通话录音 2026-11-24 10:05，群众确认误点")
    expect(row).to_contain_text(STAFF)
    row.locator("text=审核").click()
    expect(bureau.locator("#appeal-review-evidence")).to_have_text("通话录音 2026-11-24 10:05，群众确认误点")
    assert offered(bureau) == ["approve_appeal", "reject_appeal"]
    act(bureau, "reject_appeal", note="录音不能证明误评")
    expect(bureau.locator("#ticket-state")).to_have_text("核实中")
    expect(bureau.locator("#appeal-review")).to_have_count(0)

    open_ticket(staff, server, tickets["new"])
    act(staff, "appeal", note="补充：群众书面确认误评", evidence="群众签字的情况说明一份")
    bureau.goto(server + "/admin/approvals")
    bureau.locator("#appeals tbody tr", has_text="补充").locator("text=审核").click()
    expect(bureau.locator("#appeal-review-evidence")).to_have_text("群众签字的情况说明一份")
    act(bureau, "approve_appeal", note="证据充分，评价不予采纳")
    expect(bureau.locator("#ticket-state")).to_have_text("已销号")
    expect(bureau.locator("main")).to_contain_text("不计入统计")
    history = bureau.locator("#history")
    expect(history).to_contain_text("证据：通话录音 2026-11-24 10:05，群众确认误点")
    expect(history).to_contain_text("申诉驳回")
    expect(history).to_contain_text("申诉通过")
    staff.context.close()
    bureau.context.close()


def test_explained_replied_then_reopened_by_an_unsatisfied_followup(app, browser, server, tickets):  # noqa: F811
    staff = log_in(browser, server, "police_staff", viewport=PHONE)
    open_ticket(staff, server, tickets["new"])
    act(staff, "verify", note="已联系群众")
    act(staff, "explain", note="该事项依法须本人到场办理，已向群众解释")
    expect(staff.locator("#ticket-state")).to_have_text("已解释说明")
    act(staff, "reply")  # left empty: the explanation is the reply
    expect(staff.locator("#ticket-state")).to_have_text("已反馈")
    expect(staff.locator("main")).to_contain_text("该事项依法须本人到场办理，已向群众解释（")

    recorder = who_records_followup(app, tickets["new"])
    page = staff if recorder == "police_staff" else log_in(browser, server, recorder, viewport=PHONE)
    open_ticket(page, server, tickets["new"])
    act(page, "followup", satisfaction="unsatisfied", channel="phone", note="群众仍不认可")
    expect(page.locator("#ticket-state")).to_have_text("核实中")
    expect(page.locator("#history")).to_contain_text("工单重新办理，新整改期限")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1  # the history stacks on a phone
    page.context.close()
    if page is not staff:
        staff.context.close()


def test_the_department_admin_reassigns_a_ticket(browser, server, tickets):  # noqa: F811
    admin = log_in(browser, server, "police_admin")
    open_ticket(admin, server, tickets["new"])
    assert offered(admin) == ["verify", "resolve_on_the_spot", "assign"]
    expect(admin.locator("#ticket-assignee")).to_contain_text(STAFF)
    act(admin, "assign", assignee="police_admin")
    expect(admin.locator("#ticket-assignee")).to_contain_text("police_admin（部门管理员，区公安分局）")
    # The current assignee is never offered as the new one.
    expect(admin.locator('form[data-action="assign"] option')).to_have_text(["police_staff"])
    admin.context.close()
    staff = log_in(browser, server, "police_staff")
    response = staff.goto(f"{server}/admin/tickets/{tickets['new']}")
    assert response.status == 404  # staff see their own tickets only
    staff.goto(server + "/admin/tickets")
    expect(staff.locator("#tickets")).not_to_contain_text("材料被退回三次")
    staff.context.close()


def test_what_each_role_is_offered_on_a_new_ticket(browser, server, tickets):  # noqa: F811
    expected = {
        "police_staff": ["verify", "resolve_on_the_spot"],
        "police_admin": ["verify", "resolve_on_the_spot", "assign"],
        "bureau": ["verify", "resolve_on_the_spot", "assign"],
        "auditor": [],
    }
    for username, actions in expected.items():
        page = log_in(browser, server, username)
        open_ticket(page, server, tickets["new"])
        assert offered(page) == actions, username
        if username == "auditor":
            expect(page.locator("#actions")).to_contain_text("审计角色只读")
        page.context.close()
    social = log_in(browser, server, "social_admin")
    assert social.goto(f"{server}/admin/tickets/{tickets['new']}").status == 404
    social.context.close()


def test_the_ticket_shows_the_citizens_addendum(app, browser, server, tickets):  # noqa: F811
    with app.app_context(), db.connection_context():
        first = Ticket.get_by_id(tickets["new"]).rating
        submit_rating(
            RatingRequest(
                level=3,
                channel="sms",
                case=first.case,
                rater_ref=first.rater_ref,
                addendum=True,
                comment="后来补办好了",
            )
        )
    staff = log_in(browser, server, "police_staff")
    open_ticket(staff, server, tickets["new"])
    expect(staff.locator(".other-rating")).to_contain_text("基本满意：后来补办好了")
    expect(staff.locator("tr", has=staff.locator(".other-rating")).locator("th")).to_have_text("追评")
    staff.context.close()
