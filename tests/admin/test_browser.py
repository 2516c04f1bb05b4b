"""Browser tests: a real headless Chromium (Debian's, driven by Playwright) against a real server.

The ticket is worked from new to closed through the page's action forms,
which `admin.ticket_actions` builds from the rectification workflow: the page,
its forms, CSRF, the workflow's rules and the history table end to end.
"""

import datetime as dt
import io
import os
import threading

import pytest
from openpyxl import Workbook
from openpyxl import load_workbook
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from models import db
from rectification import workflow

from .conftest import PASSWORD

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("HCP_CHROMIUM", "/usr/bin/chromium"), args=ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def server(app, staff, make, ratings):
    with app.app_context(), db.connection_context():
        for level in (5, 5, 4, 3, 1):
            ratings.rate(level, at=dt.datetime(2026, 10, 15, 10))
        ratings.rate(2, dept="social", at=dt.datetime(2026, 10, 16, 10), comment="社保窗口排队太久")
        ratings.rate(1, at=dt.datetime(2026, 11, 24, 10), comment="材料被退回三次")
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join()


def log_in(browser, base, username, viewport=DESKTOP, **options):
    """A new browser context logged in as `username`; `options` go to the context (e.g. bypass_csp)."""
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="zh-CN", **options)
    page = context.new_page()
    page.goto(base + "/admin/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("header.top")).to_be_visible()
    return page


def act(page, action, decision=None, **fields):
    """Fill a ticket action's form on the page and submit it; the page confirms in Chinese."""
    form = page.locator(f'form[data-action="{action}"]')
    for name, value in fields.items():
        control = form.locator(f'[name="{name}"]')
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    button = form.locator(f'button[value="{decision}"]') if decision else form.locator("button[type=submit]")
    button.click()
    expect(page.locator(".flash").first).to_contain_text(f"已完成“{workflow.event_label(action)}”")


NAV = {
    "bureau": {
        "统计",
        "差评工单",
        "待审批",
        "刷评审核",
        "月度报送",
        "问题分析",
        "考核",
        "回访队列",
        "基础数据",
        "用户与密钥",
        "月度报表",
        "短信与推送",
        "评价标签",
        "数据导入",
        "审计日志",
    },
    "police_admin": {
        "统计",
        "差评工单",
        "刷评审核",
        "月度报送",
        "问题分析",
        "基础数据",
        "用户与密钥",
        "月度报表",
        "短信与推送",
    },
    "police_staff": {"统计", "差评工单", "刷评审核", "月度报送", "问题分析"},
    "auditor": {
        "统计",
        "差评工单",
        "待审批",
        "刷评审核",
        "月度报送",
        "问题分析",
        "考核",
        "回访队列",
        "基础数据",
        "用户与密钥",
        "月度报表",
        "短信与推送",
        "评价标签",
        "审计日志",
    },
}


@pytest.mark.parametrize("username", sorted(NAV))
def test_each_role_sees_only_what_it_may(browser, server, username):
    page = log_in(browser, server, username)
    links = set(page.locator("header.top > a:not(.brand)").all_inner_texts())
    assert links == NAV[username]
    tickets = page.goto(server + "/admin/tickets")
    assert tickets.status == 200
    table = page.locator("#tickets").inner_text()
    if username.startswith("police"):
        assert "区人社局" not in table and "区公安分局" in table
    else:
        assert "区人社局" in table
    assert page.goto(server + "/admin/imports").status == (200 if username == "bureau" else 403)
    page.context.close()


def test_dashboard_figures_and_offline_charts(browser, server):
    page = log_in(browser, server, "bureau")
    page.goto(server + "/admin/?month=2026-10")
    expect(page.locator("#m-rated")).to_have_text("6")
    expect(page.locator("#m-good-rate")).to_have_text("66.67%")  # 好评 = 5 + 4 + 3
    expect(page.locator("#m-bad-rate")).to_have_text("33.33%")
    expect(page.locator("#m-bad")).to_have_text("2")
    assert page.locator("svg").count() == 3
    # Nothing is fetched from outside this server.
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.reload()
    assert requested and all(url.startswith(server) for url in requested)
    page.select_option("#f-channel", "sms")
    page.click("form.filters button")
    expect(page.locator("#m-rated")).to_have_text("6")
    page.context.close()


def test_phone_layout_of_queue_and_ticket(browser, server):
    page = log_in(browser, server, "police_staff", viewport=PHONE)
    for url in ("/admin/?month=2026-10", "/admin/tickets"):
        page.goto(server + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, url  # wide tables scroll inside their panel, not the page
    page.click("#tickets a >> nth=0")
    expect(page.locator("#countdown")).to_be_visible()
    expect(page.locator("#applicant")).to_contain_text("138****8000")
    page.context.close()


# The department records its own 回访 only where a province says so; the bureau's 回访 (the
# default) is walked in test_browser_month.py.
@pytest.mark.settings({"rectification": {"followup_by": "department"}})
def test_work_a_ticket_from_new_to_closed(browser, server):
    page = log_in(browser, server, "police_admin")
    page.goto(server + "/admin/tickets?state=open")
    page.click("#tickets a >> nth=0")
    expect(page.locator("#ticket-state")).to_have_text("待核实")
    for action, fields, state in (
        ("verify", {"note": "已电话联系群众核实"}, "核实中"),
        ("rectify", {"note": "情况属实，窗口人员态度生硬"}, "整改中"),
        ("complete", {"note": "已批评教育并一次性告知材料清单"}, "已整改"),
        ("reply", {"note": "您反映的问题已整改，感谢监督"}, "已反馈"),
        ("followup", {"satisfaction": "satisfied", "channel": "phone", "note": "群众表示满意"}, "已回访"),
        ("close", {"note": "整改到位，销号"}, "已销号"),
    ):
        act(page, action, **fields)
        expect(page.locator("#ticket-state")).to_have_text(state)
    history = page.locator("#history")
    for text in (
        "生成工单",
        "联系群众核实",
        "整改完成",
        "答复群众",
        "记录回访",
        "销号",
        "police_admin（部门管理员，区公安分局）",
        "群众表示满意",
    ):
        expect(history).to_contain_text(text)
    expect(page.locator("#actions")).to_contain_text("当前状态下没有您可执行的操作")
    page.goto(server + "/admin/tickets?state=closed")
    expect(page.locator("#tickets tbody tr")).to_have_count(1)
    page.context.close()


def test_reveal_phone_number_is_logged(browser, server):
    page = log_in(browser, server, "police_admin")
    page.goto(server + "/admin/tickets")
    page.click("#tickets a >> nth=0")
    page.fill("#reveal-reason", "电话核实")
    page.click("text=查看完整号码")
    expect(page.locator("#applicant")).to_contain_text("13800138000")
    page.context.close()
    audit = log_in(browser, server, "bureau")
    audit.goto(server + "/admin/audit?action=personal_data")
    row = audit.locator("#audit tbody tr").first
    expect(row).to_contain_text("police_admin（部门管理员，区公安分局）")
    expect(row).to_contain_text("查看完整个人信息")
    expect(row.locator("dl.detail dt")).to_have_text(["原因"])
    expect(row.locator("dl.detail dd")).to_have_text(["电话核实"])
    audit.context.close()


def test_export_the_monthly_report_and_check_its_figures(browser, server):
    page = log_in(browser, server, "bureau")
    page.goto(server + "/admin/reports?month=2026-10")
    with page.expect_download() as info:
        page.click("#download-district")
    download = info.value
    assert download.suggested_filename == "好差评月报-2026-10.xlsx"
    with open(download.path(), "rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()))
    rows = list(wb.active.iter_rows(values_only=True))
    header = rows[2]
    units = {r[1]: dict(zip(header, r, strict=False)) for r in rows[3:] if r[1]}
    assert units["区公安分局"]["评价数（首次评价）"] == 5 and units["区公安分局"]["好评率(%)"] == 80.0
    assert units["区人社局"]["差评数（首次评价）"] == 1
    assert units["全区合计"]["评价数（首次评价）"] == 6
    page.context.close()


def test_import_a_file_with_an_error_and_see_the_report(browser, server, tmp_path):
    wb = Workbook()
    wb.active.append(["事项编码", "事项名称", "事项类型", "实施部门编码"])
    wb.active.append(["610118-GAJ-101", "户口迁移", "公共服务", "GAJ"])
    wb.active.append(["610118-GAJ-102", "临时身份证", "公共服务", "XXX"])
    path = tmp_path / "事项清单.xlsx"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(buffer.getvalue())
    page = log_in(browser, server, "bureau")
    page.goto(server + "/admin/imports")
    page.select_option("#i-kind", "catalogue")
    page.set_input_files("#i-file", str(path))
    page.click("form button[type=submit] >> text=校验并导入")
    expect(page.locator("#import-failed")).to_contain_text("整份文件均未写入")
    row = page.locator("#import-errors tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("3")
    expect(row).to_contain_text("实施部门编码")
    expect(row).to_contain_text("部门「XXX」不存在")
    page.context.close()


def test_public_results_page_on_a_phone(browser, server):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(server + "/public/results")
    expect(page.locator("#total-rated")).to_have_text("6")
    assert "138" not in page.content()
    context.close()
