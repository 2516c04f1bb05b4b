"""Browser walk of the bureau's month on the demo data (Chromium, both backends): the police
department's business contact confirms November's submission from the reminder banner; the
bureau sees it on the submission board, reads October's frozen 考核 ranking and the problem
analysis, and records a phone 回访 from its queue; the dashboard lists units under the
minimum sample apart and shows the commend and attention lists; the public page reads on a
phone. One walk, so that the demo is seeded once per backend."""

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from demo.seed import seed_demo
from models import MonthSubmission
from models import User
from models import db

from .conftest import CHEAP_HASH
from .test_browser import PHONE
from .test_browser import browser  # noqa: F401
from .test_browser import log_in


@pytest.fixture
def demo(app):
    """The demo's October (closed on the 30th) and November up to 2026-11-26 10:00, served."""
    with app.app_context(), db.connection_context():
        seed_demo(months=1)
        User.update(password_hash=CHEAP_HASH).where(User.username.in_(("bureau", "gaj_contact"))).execute()
        # The walk is the contact's own confirmation: whatever the simulated contact did already goes.
        police = User.by_username("gaj_contact").department_id
        MonthSubmission.delete().where(
            (MonthSubmission.department == police) & (MonthSubmission.month == "2026-11")
        ).execute()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join()


def test_the_bureaus_month_in_the_browser(browser, demo):  # noqa: F811
    # The contact: reminded from the 25th, reviews the unit's month and confirms it with a comment.
    page = log_in(browser, demo, "gaj_contact")
    banner = page.locator("#month-due")
    expect(banner).to_contain_text("本月好差评数据待报送")
    banner.locator("a").click()
    expect(page.locator("#submit-status")).to_contain_text("待报送")
    assert int(page.locator("#s-rated").inner_text()) > 30
    page.fill("#s-comment", "本月数据已核对，差评工单均已按期处理。")
    page.locator("#submit-form button").click()
    expect(page.locator("#submit-status")).to_contain_text("已报送")
    expect(page.locator("#month-due")).to_have_count(0)
    page.context.close()

    bureau = log_in(browser, demo, "bureau")
    # The submission board: who submitted (the police, just now), who is still to, on paper.
    bureau.goto(demo + "/admin/month?month=2026-11")
    police = bureau.locator('#board tr[data-unit="GAJ"]')
    expect(police).to_contain_text("已报送")
    expect(police).to_contain_text("本月数据已核对")
    expect(police).to_contain_text("公安分局业务联系人")
    assert bureau.locator('#board tr[data-status="pending"]').count() > 0
    bureau.goto(demo + "/admin/month?month=2026-10")
    expect(bureau.locator("#board-deadline")).to_contain_text("关闭（第 1 版）")
    assert bureau.locator('#board tr[data-status="missing"]').count() > 0
    expect(bureau.locator('#board tr[data-unit="JCZ"]')).to_contain_text("纸质评价表导入")

    # 考核 for October, frozen at its close: a ranking, the units under the sample apart, the rules.
    bureau.goto(demo + "/admin/assessment?month=2026-10")
    expect(bureau.locator("#assessment-status")).to_contain_text("2026-10-30 23:00 关闭")
    ranked = bureau.locator("#assessment tbody tr")
    assert ranked.count() >= 10
    expect(ranked.first.locator("td").first).to_have_text("1")
    assert bureau.locator("#assessment-unranked tbody tr").count() >= 1
    expect(bureau.locator("#assessment-rules")).to_contain_text("好评率：权重 40")
    with bureau.expect_download() as info:
        bureau.click("#download-assessment")
    assert info.value.suggested_filename == "好差评考核得分-2026-10.xlsx"

    # The problems citizens raise: labels with their change, terms with examples and no personal data.
    bureau.goto(demo + "/admin/analysis?month=2026-10")
    assert bureau.locator("#label-totals tbody tr").count() >= 5
    assert bureau.locator("#terms tbody tr").count() >= 10
    examples = bureau.locator("#terms").inner_text()
    assert "排队" in examples
    assert not re.search(r"1[3-9]\d{9}", examples)

    # The bureau's phone 回访 of a replied 差评.
    bureau.goto(demo + "/admin/followups")
    rows = bureau.locator("#followups tbody tr[data-ticket]")
    before = rows.count()
    assert before > 0
    number = rows.first.get_attribute("data-ticket")
    form = bureau.locator(f'form.followup-form[data-ticket="{number}"]')
    form.locator('select[name="satisfaction"]').select_option("satisfied")
    form.locator('input[name="note"]').fill("电话回访，群众满意")
    form.locator("button").click()
    expect(bureau.locator(".flash")).to_contain_text("回访结果已记录")
    expect(bureau.locator(f'#followups tr[data-ticket="{number}"]')).to_have_count(0)

    # The dashboard: the current month (enough ratings), rankings with small units apart, the lists.
    bureau.goto(demo + "/admin/?rank=window")
    expect(bureau.locator("h1")).to_contain_text("2026年11月")
    assert bureau.locator("#ranking tbody tr").count() > 5
    assert bureau.locator("#commend-staff tbody tr").count() >= 1
    assert bureau.locator("#attention-units tbody tr").count() >= 1
    expect(bureau.locator("#definitions")).to_contain_text("好评率 = （非常满意＋满意＋基本满意）")
    bureau.context.close()

    # Everybody, on a phone: October as frozen, every figure, no sideways scrolling, 44 px targets.
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(demo + "/public/results?month=2026-10")
    expect(page.locator("#month-status")).to_contain_text("关闭（第 1 版）")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1  # cards, no sideways scroll
    for selector in ("#month", "form.month button", "#json-link"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44, selector  # touch targets
    expect(page.locator('#results tr[data-unit="GAJ"] td[data-label="未评率"]')).to_be_visible()
    expect(page.locator("#site-footer")).to_contain_text("主办单位")
    context.close()
