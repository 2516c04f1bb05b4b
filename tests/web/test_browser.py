"""The H5 pages in a real headless Chromium at phone size (Playwright with
Debian's chromium), including a bad review from the SMS link to its thanks."""

import os
import threading

import pytest
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from models import RaterContact
from models import Rating
from models import Ticket
from models import db

from .helpers import create_case
from .helpers import due_text

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
pytestmark = pytest.mark.settings({"app": {"base_url": "http://127.0.0.1:5000"}})


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=os.environ.get("HCP_CHROMIUM", "/usr/bin/chromium"),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    requests = []
    page.on("request", lambda req: requests.append(req.url))
    page.requests = requests
    yield page
    context.close()


def test_bad_review_from_the_sms_link_end_to_end(client, make, live, phone, tmp_path):
    code = create_case(client, make)
    phone.goto(f"{live}/r/{code}")
    assert phone.locator("h1").inner_text() == "请您对本次服务作出评价"
    # Large touch targets: every level button is a full-width bar at least 56 px high.
    for name in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        box = phone.locator("label.level", has_text=name).first.bounding_box()
        assert box["height"] >= 56 and box["width"] >= 300
    # No label is offered before a level is chosen; then only that level's labels.
    assert not phone.get_by_text("服务态度差").is_visible()
    phone.locator("label.level-2").tap()
    assert phone.get_by_text("服务态度差").is_visible()
    assert not phone.get_by_text("服务态度热情").is_visible()
    chip = phone.locator("label.chip", has_text="服务态度差")
    assert chip.bounding_box()["height"] >= 48
    chip.tap()
    phone.locator("#comment").fill("窗口人员态度冷淡，等了很久")
    phone.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    phone.locator("button.submit").tap()
    phone.wait_for_url(f"{live}/r/{code}/thanks")
    text = phone.locator("main").inner_text()
    phone.screenshot(path=str(tmp_path / "thanks.png"), full_page=True)
    with db.connection_context():
        rating = Rating.get()
        ticket = Ticket.get()
        assert (rating.channel, rating.level, rating.label_codes) == ("h5", 2, ["201"])
        assert rating.comment == "窗口人员态度冷淡，等了很久"
        assert "区公安分局" in text and due_text(ticket) in text and ticket.ticket_no in text
    assert "138****8000" in text
    # Every asset came from our own server.
    assert all(url.startswith(live) for url in phone.requests)
    # Back to the link: it is rated, and says so.
    phone.goto(f"{live}/r/{code}")
    assert "该办件已经评价过了" in phone.locator("main").inner_text()


def test_window_qr_page_asks_for_a_phone_once_a_level_is_chosen(client, make, live, phone):
    phone.goto(f"{live}/q/w:W04")
    assert "户籍业务窗口" in phone.locator(".target").inner_text()
    assert not phone.locator("#phone").is_visible()
    phone.locator("label.level-5").tap()
    assert phone.locator("#phone").is_visible() and phone.locator("#otp-send").is_visible()
    phone.locator("label.level-1").tap()
    assert phone.locator("#phone").is_visible()
    phone.locator("label.chip", has_text="服务态度恶劣").tap()
    phone.locator("#phone").fill("13900139000")
    phone.locator("button.submit").tap()
    phone.wait_for_url(f"{live}/q/w:W04/thanks")
    assert "139****9000" in phone.locator("main").inner_text()
    with db.connection_context():
        assert Rating.get().channel == "qr"
        assert RaterContact.get().phone == "13900139000"


def test_the_form_works_without_script(client, make, browser, live):
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    code = create_case(client, make)
    page.goto(f"{live}/r/{code}")
    page.locator("label.level-4").tap()
    page.locator("label.chip", has_text="服务态度好").tap()
    page.locator("button.submit").tap()
    page.wait_for_url(f"{live}/r/{code}/thanks")
    context.close()
    with db.connection_context():
        assert Rating.get().label_codes == ["401"]


def touch_targets_too_small(page) -> list[str]:
    """Every visible control a finger taps, smaller than 44 × 44 px (WCAG 2.5.5)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
              'a[href], button, input:not([type=hidden]), select, textarea, label.level span, label.chip span'))
            .filter(el => {
              const style = getComputedStyle(el);
              return style.visibility !== 'hidden' && style.opacity !== '0' && el.getClientRects().length;
            })
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, box]) => box.height < 44 || box.width < 44)
            .map(([el, box]) => `${el.outerHTML.slice(0, 60)} ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )


def test_addendum_from_the_browser_that_rated(client, make, live, phone, browser):
    code = create_case(client, make)
    phone.goto(f"{live}/r/{code}")
    phone.locator("label.level-4").tap()
    phone.locator("button.submit").tap()
    phone.wait_for_url(f"{live}/r/{code}/thanks")
    assert "追评一次" in phone.locator("#addendum-hint").inner_text()
    phone.goto(f"{live}/r/{code}")
    assert touch_targets_too_small(phone) == []
    phone.locator("#addendum-link").tap()
    phone.wait_for_url(f"{live}/r/{code}/addendum")
    assert phone.locator("h1").inner_text() == "追加评价（追评）"
    phone.locator("label.level-2").tap()
    phone.locator("label.chip", has_text="服务态度差").tap()
    phone.locator("#comment").fill("后来又让我补交材料")
    phone.locator("button.submit").tap()
    phone.wait_for_url(f"{live}/r/{code}")
    addendum = phone.locator("#addendum").inner_text()
    assert "不满意" in addendum and "后来又让我补交材料" in addendum
    assert phone.locator("#addendum-link").count() == 0
    with db.connection_context():
        first, added = list(Rating.select().order_by(Rating.sequence))
        assert (added.sequence, added.level, added.rater_ref) == (2, 2, first.rater_ref)
    # Another phone opening the same link is not offered the 追评.
    other = browser.new_context(**PHONE).new_page()
    other.goto(f"{live}/r/{code}")
    assert "该办件已经评价过了" in other.locator("main").inner_text()
    assert other.locator("#addendum-link").count() == 0
    other.context.close()


def test_progress_in_a_citizens_words(client, make, live, phone):
    code = create_case(client, make)
    phone.goto(f"{live}/r/{code}")
    phone.locator("label.level-1").tap()
    phone.locator("button.submit").tap()
    phone.wait_for_url(f"{live}/r/{code}/thanks")
    for state, words in (("new", "已受理"), ("rectifying", "整改中"), ("replied", "已答复"), ("closed", "已办结")):
        with db.connection_context():
            Ticket.update(state=state).execute()
        phone.goto(f"{live}/r/{code}")
        text = phone.locator(".notice").inner_text()
        assert f"处理进度：{words}" in text and "销号" not in text


def test_a_missing_level_is_said_by_the_page_in_chinese(client, make, browser, live):
    code = create_case(client, make)
    # An English browser: the message must still be the page's own, in Chinese.
    context = browser.new_context(**{**PHONE, "locale": "en-US"})
    page = context.new_page()
    page.goto(f"{live}/r/{code}")
    page.locator("button.submit").tap()
    error = page.locator("#form-error")
    assert error.is_visible() and error.inner_text() == "请先选择一个评价等级（从“非常满意”到“非常不满意”）。"
    assert page.url == f"{live}/r/{code}"
    assert page.evaluate("document.getElementById('rate-form').noValidate")
    context.close()
    # Without script the server says the same.
    context = browser.new_context(java_script_enabled=False, **PHONE)
    page = context.new_page()
    page.goto(f"{live}/r/{code}")
    page.locator("button.submit").tap()
    expect(page.locator("#form-error")).to_contain_text("请先选择一个评价等级")
    context.close()


def test_citizen_pages_have_large_touch_targets_and_a_favicon(client, make, live, phone):
    code = create_case(client, make)
    missing = []
    phone.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    phone.goto(f"{live}/r/{code}")
    assert touch_targets_too_small(phone) == []
    phone.locator("label.level-1").tap()
    assert touch_targets_too_small(phone) == []
    phone.locator("button.submit").tap()
    phone.wait_for_url(f"{live}/r/{code}/thanks")
    assert touch_targets_too_small(phone) == []
    phone.goto(f"{live}/q/w:W04")
    phone.locator("label.level-2").tap()
    assert touch_targets_too_small(phone) == []
    phone.goto(f"{live}/r/NOSUCHCODE")
    assert touch_targets_too_small(phone) == []
    icon = phone.request.get(f"{live}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/")
    phone.goto(f"{live}/favicon.ico")
    assert [url for url in missing if not url.endswith("/r/NOSUCHCODE")] == []
