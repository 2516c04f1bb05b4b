"""The trust rules walked in a real Chromium by those who meet them: a citizen whose rating is
held reads the calm message on /q/<scene>, a citizen verifies a phone by SMS code, the bureau
reviews the held rating in 刷评审核 and it counts; the bureau issues a bureau key and takes back
an approved appeal."""

import datetime as dt
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from core import clock
from core.crypto import phone_hash
from models import ApiKey
from models import Outbox
from models import PhoneVerification
from models import Rating
from models import RatingFlag
from models import Ticket
from models import db
from rectification import tickets
from tests.admin.conftest import login  # noqa: F401
from tests.admin.conftest import staff  # noqa: F401
from tests.admin.test_browser import browser  # noqa: F401
from tests.admin.test_browser import log_in
from tests.web.helpers import csrf_from
from tests.web.test_browser import PHONE

pytestmark = pytest.mark.settings(
    {"app": {"base_url": "http://127.0.0.1:5000"}, "ratings": {"onsite_network_daily_limit": 1}}
)


@pytest.fixture
def live(app, staff):  # noqa: F811
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def earlier_anonymous_rating(app):
    """Someone else on the same address (the browser's, 127.0.0.1) rated this window before."""
    other = app.test_client()
    token = csrf_from(other.get("/q/w:W04").get_data(as_text=True))
    assert other.post("/q/w:W04", data={"csrf_token": token, "level": "5"}).status_code == 303


def rate_on_the_phone(browser, live, level="label.level-4"):  # noqa: F811
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live}/q/w:W04")
    page.locator(level).tap()
    return context, page


def test_a_held_rating_is_told_calmly_and_the_bureau_lets_it_count(app, make, browser, live):  # noqa: F811
    earlier_anonymous_rating(app)
    context, page = rate_on_the_phone(browser, live)
    page.locator("button.submit").tap()
    page.wait_for_url(f"{live}/q/w:W04/thanks")
    held = page.locator("#held")
    expect(held).to_be_visible()
    expect(held).to_contain_text("将在核实后计入统计结果")
    assert "刷评" not in page.locator("main").inner_text()
    context.close()
    with db.connection_context():
        rating = Rating.select().order_by(Rating.id.desc()).get()
        flag = RatingFlag.for_rating(rating)
        assert rating.excluded and flag.rule_codes == ["network_limit"]

    bureau = log_in(browser, live, "bureau")
    bureau.goto(live + "/admin/flags")
    row = bureau.locator(f"#flag-{flag.id}")
    expect(row).to_contain_text("同一网络当日在此窗口的评价超过上限")
    expect(row).to_contain_text("浏览器")
    row.locator("input[name=note]").fill("现场核实为办事群众本人")
    row.locator("button[value=genuine]").click()
    expect(bureau.locator(".flash")).to_contain_text("已审核")
    bureau.context.close()
    with db.connection_context():
        assert not Rating.get_by_id(rating.id).excluded
        assert RatingFlag.get_by_id(flag.id).review_state == "genuine"


def test_a_citizen_verifies_a_phone_by_sms_code_and_is_counted(app, make, browser, live):  # noqa: F811
    earlier_anonymous_rating(app)  # the address's anonymous budget is spent: a verified phone still counts
    context, page = rate_on_the_phone(browser, live)
    page.locator("label.chip", has_text="服务态度好").tap()
    page.locator("#phone").fill("13900001111")
    page.locator("#otp-send").tap()
    expect(page.locator("#otp-notice")).to_contain_text("验证码已发送至 139****1111")
    expect(page.locator("label.level-4 input")).to_be_checked()
    with db.connection_context():
        row = PhoneVerification.get()
        code = Outbox.get(Outbox.dedupe_key == f"otp:{row.id}").data["code"]
    page.locator("#otp_code").fill(code)
    page.locator("button.submit").tap()
    page.wait_for_url(f"{live}/q/w:W04/thanks")
    assert page.locator("#held").count() == 0
    context.close()
    with db.connection_context():
        rating = Rating.select().order_by(Rating.id.desc()).get()
        assert rating.rater_ref == "phone:" + phone_hash("13900001111") and not rating.excluded
        assert rating.label_codes == ["401"]


def test_the_bureau_issues_a_bureau_key(app, make, browser, live):  # noqa: F811
    page = log_in(browser, live, "bureau")
    page.goto(live + "/admin/users")
    page.select_option("#k-dept", label="区行政审批局")
    page.select_option("#k-kind", "bureau")
    page.fill("#k-label", "纸质评价表录入")
    page.click("form:has(#k-kind) button[type=submit]")
    key = page.locator("#new-key code").inner_text()
    expect(page.locator("#keys")).to_contain_text("局级")
    page.context.close()
    with db.connection_context():
        assert ApiKey.authenticate(key).bureau
    res = app.test_client().post(
        "/api/v1/ratings",
        json={"window_code": "W05", "level": 5, "channel": "paper"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert res.status_code == 201


def test_the_bureau_takes_back_an_approved_appeal(app, make, staff, browser, live):  # noqa: F811
    with app.test_request_context(), db.connection_context():
        from ratings.core import RatingRequest
        from ratings.core import submit_rating

        clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
        result = submit_rating(RatingRequest(level=1, channel="pad", window=make.police_window, rater_ref="device:x"))
        ticket = Ticket.get_by_id(result.ticket.id)
        ticket = tickets.record_verification_call(ticket, staff["police_staff"], "群众说点错了")
        ticket = tickets.appeal(ticket, staff["police_staff"], "误评", "通话录音")
        ticket = tickets.decide_appeal(ticket, True, staff["bureau"], "录音证实为误评")
    page = log_in(browser, live, "bureau")
    page.goto(f"{live}/admin/tickets/{ticket.id}")
    expect(page.locator("#ticket-state")).to_have_text("已销号")
    form = page.locator('form[data-action="reverse_appeal"]')
    form.locator('[name="note"]').fill("新证据：群众确有不满")
    form.locator("button").click()
    expect(page.locator("#ticket-state")).to_have_text("核实中")
    expect(page.locator("#history")).to_contain_text("撤销申诉通过")
    page.context.close()
    with db.connection_context():
        assert not Rating.get_by_id(ticket.rating_id).excluded
        # The city is told once: effective 1 again (change 2 after the approval's change 1).
        change = Outbox.get(Outbox.dedupe_key == f"rating:{ticket.rating_id}:change:2")
        assert change.data["effective"] == 1
