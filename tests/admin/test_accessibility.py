"""axe-core against every page of the product, at phone and desktop sizes.

axe-core comes from npm (package.json, pinned by package-lock.json, installed by
`bin/test` with `npm ci`) and is injected by Playwright into each page as it
is in the browser: admin pages as the roles that use them (forms, queues and
reports with data in them), the citizen pages along a rating, the public
results. No serious or critical violation may remain; the minor and moderate
ones are listed in the output (`-s`).
"""

import collections
import datetime as dt
import io
import pathlib

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from models import Case
from models import LedgerItem
from models import RatingFlag
from models import Ticket
from models import User
from models import db
from rectification import ledger
from rectification import tickets

from .test_browser import DESKTOP
from .test_browser import PHONE
from .test_browser import browser  # noqa: F401
from .test_browser import log_in
from .test_browser import server  # noqa: F401

AXE = pathlib.Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
  id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || ''))}))"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (bin/test does)", pytrace=False)
    return AXE.read_text()


@pytest.fixture
def worked(app, server, staff, ratings):  # noqa: F811
    """Data on every page: a ticket on the ledger with an extension asked for, one under
    appeal with its evidence, a flagged rating, two unrated cases with their rating codes."""
    with app.app_context(), db.connection_context():
        users = {u.username: u for u in User.select()}
        police = list(
            Ticket.select().where(Ticket.department == users["police_staff"].department_id).order_by(Ticket.id)
        )
        first = tickets.start_rectification(
            tickets.record_verification_call(police[0], users["police_staff"], "已联系群众"),
            users["police_staff"],
            "情况属实",
        )
        ledger.put_on_ledger(first, "修订材料清单", "李科长", dt.date(2027, 1, 20), users["police_staff"])
        second = tickets.record_verification_call(police[1], users["police_admin"], "已联系群众")
        tickets.appeal(second, users["police_admin"], "群众误评", "通话录音一份")
        RatingFlag.create(rating=police[1].rating_id, rules="burst", reason="同一评价人短时间内大量相同评价")
        cases = [ratings.case(phone="13900139000"), ratings.case(phone="13900139001")]
        return {
            "ledger": first.id,
            "appeal": second.id,
            "item": LedgerItem.get().id,
            "codes": [Case.get_by_id(case.id).rating_code for case in cases],  # one per size
        }


ADMIN_PAGES = {
    "bureau": [
        "/admin/",
        "/admin/tickets",
        "/admin/tickets/{ledger}",
        "/admin/tickets/{appeal}",
        "/admin/approvals",
        "/admin/flags",
        "/admin/staff-identities",
        "/admin/master/department",
        "/admin/master/hall",
        "/admin/master/window",
        "/admin/master/staff",
        "/admin/master/item",
        "/admin/master/window/new",
        "/admin/users",
        "/admin/password",
        "/admin/reports",
        "/admin/invitations",
        "/admin/upstream",
        "/admin/labels",
        "/admin/imports",
        "/admin/audit",
        "/admin/month",
        "/admin/assessment",
        "/admin/analysis",
        "/admin/contacts",
        "/admin/followups",
        "/admin/no-such-page",
    ],
    "police_staff": ["/admin/", "/admin/tickets", "/admin/tickets/{ledger}", "/admin/flags"],
    "police_admin": ["/admin/tickets/{appeal}", "/admin/users", "/admin/master/window", "/admin/month/submit"],
    "auditor": ["/admin/approvals", "/admin/audit"],
}


def scan(page, source) -> list[dict]:
    page.add_script_tag(content=source)
    return page.evaluate(RUN)


def test_no_serious_or_critical_violation_on_any_page(browser, server, worked, axe_source, tmp_path):  # noqa: F811
    found = {}  # (page, size) -> violations

    def check(page, name, size):
        found[(name, size)] = scan(page, axe_source)

    def visit(page, path, name, size):
        page.goto(server + path)
        check(page, name, size)

    for index, (size, viewport) in enumerate((("手机 390", PHONE), ("桌面 1366", DESKTOP))):
        # Citizen and public pages: a first rating, its error, its thanks, the rated page with the 追评 entry.
        context = browser.new_context(viewport=viewport, bypass_csp=True, locale="zh-CN")
        page = context.new_page()
        code = worked["codes"][index]
        visit(page, f"/r/{code}", "/r/<code>", size)
        page.locator("button.submit").click()
        expect(page.locator("#form-error")).to_be_visible()
        check(page, "/r/<code>（未选等级）", size)
        page.locator("label.level-2").click()
        page.locator("label.chip", has_text="服务态度差").click()
        page.locator("button.submit").click()
        page.wait_for_url(f"{server}/r/{code}/thanks")
        check(page, "/r/<code>/thanks", size)
        visit(page, f"/r/{code}", "/r/<code>（已评价，可追评）", size)
        visit(page, f"/r/{code}/addendum", "/r/<code>/addendum", size)
        visit(page, "/q/w:W04", "/q/<scene>", size)
        page.locator("label.level-2").click()
        page.locator("button.submit").click()
        page.wait_for_url(f"{server}/q/w:W04/thanks")
        check(page, "/q/<scene>/thanks", size)
        visit(page, "/r/NOSUCHCODE", "/r/<无效>", size)
        visit(page, "/public/results", "/public/results", size)
        visit(page, "/admin/login", "/admin/login", size)
        page.click("button[type=submit]")  # empty: the page says what is missing
        expect(page.locator(".flash.error")).to_have_text("请输入用户名和密码")
        check(page, "/admin/login（未填写）", size)
        context.close()
        for username, paths in ADMIN_PAGES.items():
            page = log_in(browser, server, username, viewport, bypass_csp=True)
            for path in paths:
                visit(page, path.format(**worked), f"{path}（{username}）", size)
            if username == "bureau":
                page.goto(server + "/admin/imports")
                page.set_input_files("#i-file", _bad_catalogue(tmp_path))
                page.click("main form button[type=submit]")
                expect(page.locator("#import-failed")).to_be_visible()
                check(page, "/admin/imports（错误报告）", size)
            page.context.close()

    _print(found)
    blocking = {
        key: [(v["id"], v["impact"], v["nodes"][:3]) for v in violations if v["impact"] in BLOCKING]
        for key, violations in found.items()
    }
    assert {key: v for key, v in blocking.items() if v} == {}
    assert len(found) == 2 * (11 + sum(len(p) for p in ADMIN_PAGES.values()) + 1)


def _bad_catalogue(tmp_path) -> str:
    wb = Workbook()
    wb.active.append(["事项编码", "事项名称", "事项类型", "实施部门编码"])
    wb.active.append(["610118-GAJ-102", "临时身份证", "公共服务", "XXX"])
    path = tmp_path / "事项清单.xlsx"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def _print(found) -> None:
    """pages × sizes, violations by impact (what the issue's note reports)."""
    totals = collections.Counter()
    print("\naxe-core: violations by impact (nodes) per page and size")
    for (name, size), violations in sorted(found.items()):
        counts = collections.Counter()
        for v in violations:
            counts[v["impact"]] += len(v["nodes"])
            totals[v["impact"]] += len(v["nodes"])
        shown = ", ".join(f"{impact} {n}" for impact, n in sorted(counts.items())) or "none"
        rules = ", ".join(sorted({v["id"] for v in violations}))
        print(f"  {size:10} {name:48} {shown}{'  (' + rules + ')' if rules else ''}")
    print(f"  pages × sizes: {len(found)}; nodes by impact: {dict(totals) or 'none'}")
