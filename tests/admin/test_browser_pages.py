"""Pages staff read, in Chromium: import templates that explain themselves and import
back as they are filled, Chinese messages from the page rather than the browser,
the audit log and the scheduler's job table in Chinese, badges on one line."""

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from .test_browser import DESKTOP
from .test_browser import PHONE
from .test_browser import browser  # noqa: F401
from .test_browser import log_in
from .test_browser import server  # noqa: F401


def download(page, link_text) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(f"main a:text-is('{link_text}')")
    download = info.value
    with open(download.path(), "rb") as fh:
        return download.suggested_filename, fh.read()


def upload(page, wb, path, kind: str) -> None:
    """Import a workbook on the imports page as staff do: saved, its kind chosen, submitted."""
    wb.save(path)
    page.select_option("#i-kind", kind)
    page.set_input_files("#i-file", str(path))
    page.click("main form button[type=submit]")


def validations(ws) -> dict[str, str]:
    """{first cell of the range: the list or check} of a sheet's drop-downs."""
    found = {}
    for rule in ws.data_validations.dataValidation:
        for cell_range in str(rule.sqref).split():
            found[cell_range.split(":")[0]] = rule.formula1 if rule.type == "list" else rule.type
    return found


def test_import_templates_explain_themselves_and_import_back_when_filled(browser, server, tmp_path):  # noqa: F811
    page = log_in(browser, server, "bureau")
    page.goto(server + "/admin/imports")

    name, data = download(page, "事项清单")
    assert name == "事项清单.xlsx"
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["事项清单", "填写说明", "代码表"]
    sheet = wb["事项清单"]
    assert [c.value for c in sheet[1]] == ["事项编码", "事项名称", "事项类型", "实施部门编码", "是否启用"]
    assert sheet.max_row == 1  # no example row to import by mistake: examples are in 填写说明
    rules = validations(sheet)
    codes = wb["代码表"]
    columns = {codes.cell(row=1, column=c).value: c for c in range(1, codes.max_column + 1)}
    departments = [codes.cell(row=r, column=columns["部门编码"]).value for r in range(2, codes.max_row + 1)]
    assert "GAJ" in departments and "RSJ" in departments
    assert rules["C2"].startswith("'代码表'!$") and rules["D2"].startswith("'代码表'!$") and "E2" in rules
    guide = "\n".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    for text in ("第 1 行为表头", "事项编码", "必填", "实施部门编码", "下拉选择", "整份文件一行也不导入"):
        assert text in guide

    # Filled in as staff would (values from the drop-downs), it imports.
    sheet.append(["610118-GAJ-201", "居住证签注", "公共服务", "GAJ", "是"])
    upload(page, wb, tmp_path / "事项清单.xlsx", "catalogue")
    expect(page.locator("#import-ok")).to_contain_text("共 1 行")

    name, data = download(page, "书面评价表格（未联网镇街月度纸质评价）")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["书面评价", "填写说明", "代码表"]
    rules = validations(wb["书面评价"])
    assert rules["C2"] == "date" and rules["E2"] == "whole"
    codes = wb["代码表"]
    levels_col = next(c for c in range(1, codes.max_column + 1) if codes.cell(row=1, column=c).value == "评价等级")
    levels = [codes.cell(row=r, column=levels_col).value for r in range(2, 7)]
    assert levels == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert rules["D2"].startswith("'代码表'!$")

    name, data = download(page, "基础数据（部门、大厅、窗口、工作人员）")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["基础数据", "填写说明", "代码表"]
    assert {"A2", "D2", "E2", "F2", "G2"} <= set(validations(wb["基础数据"]))
    page.context.close()


def test_messages_come_from_the_page_in_chinese(browser, server):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    page.goto(server + "/admin/login")
    page.click("button[type=submit]")
    expect(page.locator(".flash.error")).to_have_text("请输入用户名和密码")
    context.close()
    page = log_in(browser, server, "bureau")
    page.goto(server + "/admin/imports")
    page.click("main form button[type=submit]")
    expect(page.locator("#import-missing")).to_have_text("请选择要导入的文件（.xlsx 或 .csv）")
    page.goto(server + "/admin/tickets")
    page.click("#tickets a >> nth=0")
    page.click("text=查看完整号码")
    expect(page.locator(".flash.error")).to_contain_text("请填写查看原因")
    page.context.close()


def test_audit_log_and_job_table_in_chinese(browser, server):  # noqa: F811
    staff = log_in(browser, server, "police_staff")
    staff.goto(server + "/admin/tickets")
    staff.click("#tickets a >> nth=0")
    form = staff.locator('form[data-action="verify"]')
    form.locator("textarea").fill("已电话联系")
    form.locator("button").click()
    expect(staff.locator("#ticket-state")).to_have_text("核实中")
    staff.context.close()

    page = log_in(browser, server, "bureau", viewport=PHONE)
    page.goto(server + "/admin/audit")
    table = page.locator("#audit")
    row = table.locator("tbody tr", has_text="工单：联系群众核实").first
    expect(row).to_contain_text("police_staff（部门工作人员，区公安分局）")
    expect(row).to_contain_text("工单 CP2026")
    expect(row.locator("dl.detail dt")).to_have_text(["原状态", "新状态"])
    expect(row.locator("dl.detail dd")).to_have_text(["待核实", "核实中"])
    expect(table).to_contain_text("登录")
    for raw in ("ticket.verify", "user:police_staff", '{"', "from_state"):
        expect(table).not_to_contain_text(raw)
    # One-line times even on a phone.
    lines = row.locator("td").first.evaluate(
        "td => { const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length; }"
    )
    assert lines == 1
    page.select_option("#a-action", "login")
    page.click("main form button[type=submit]")
    expect(table.locator("tbody tr").first).to_contain_text("登录")
    expect(table).not_to_contain_text("工单：")
    # The link goes to the ticket the entry is about.
    page.goto(server + "/admin/audit?action=ticket.")
    page.click("#audit a >> nth=0")
    expect(page.locator("#ticket-state")).to_have_text("核实中")

    page.goto(server + "/admin/upstream")
    jobs = page.locator("#jobs")
    expect(jobs).to_contain_text("差评工单到期提醒")
    expect(jobs).to_contain_text("每15分钟")
    expect(jobs).to_contain_text("每天 06:10")
    for raw in ("tickets.remind", "every 900s", "cron hour"):
        expect(jobs).not_to_contain_text(raw)
    page.context.close()


def test_badges_stay_on_one_line_on_a_phone(browser, server):  # noqa: F811
    page = log_in(browser, server, "bureau", viewport=PHONE)
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    for url in ("/admin/tickets", "/admin/invitations", "/admin/flags", "/admin/approvals"):
        page.goto(server + url)
        heights = page.locator(".tag").evaluate_all(
            "tags => tags.map(t => [t.textContent, t.getBoundingClientRect().height,"
            " parseFloat(getComputedStyle(t).lineHeight) || 20])"
        )
        for text, height, line in heights:
            assert height < 1.5 * line, (url, text, height)
    assert missing == []  # the favicon included
    page.context.close()
