"""The H5 rating pages through the Flask test client: states, CSRF, input."""

import datetime as dt

import pytest

from core import clock
from models import RaterContact
from models import Rating
from models import Ticket
from models import db

from .helpers import create_case
from .helpers import csrf_from
from .helpers import due_text
from .helpers import fill


def test_the_form_names_what_is_rated_and_offers_five_levels(client, make):
    code = create_case(client, make)
    res = client.get(f"/r/{code}")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    for text in ("居民身份证换领", "区公安分局", "鄠邑市民之家", "户籍业务窗口", "王敏", "服务态度差"):
        assert text in html
    for name in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert f"<span>{name}</span>" in html
    assert "13800138000" not in html and "张三" not in html
    assert "hcp_rater=" in res.headers.get("Set-Cookie", "")
    assert "//cdn" not in html and "http://" not in html.replace("http://localhost", "")


def test_a_good_rating_and_its_thanks(client, make):
    code = create_case(client, make)
    res = fill(client, f"/r/{code}", level="5", labels=["501", "502"], comment="很好")
    assert res.status_code == 303 and res.headers["Location"].endswith(f"/r/{code}/thanks")
    thanks = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "感谢您的评价" in thanks and "非常满意" in thanks and "工单号" not in thanks
    with db.connection_context():
        rating = Rating.get()
        assert (rating.channel, rating.level, rating.label_codes, rating.comment) == ("h5", 5, ["501", "502"], "很好")
        assert rating.rater_ref.startswith("browser:")


def test_a_bad_rating_says_who_will_call_and_by_when(client, make):
    code = create_case(client, make)
    res = fill(client, f"/r/{code}", level="2", labels=["202", "501"], comment="等了两个小时")
    thanks = client.get(res.headers["Location"]).get_data(as_text=True)
    with db.connection_context():
        ticket = Ticket.get()
        # Labels of other levels (visible without script) are dropped.
        assert Rating.get().label_codes == ["202"]
        assert "区公安分局" in thanks and due_text(ticket) in thanks and ticket.ticket_no in thanks
    assert "138****8000" in thanks


def test_rated_once_then_a_clear_page(client, make):
    code = create_case(client, make)
    page = client.get(f"/r/{code}").get_data(as_text=True)
    token = csrf_from(page)
    assert client.post(f"/r/{code}", data={"csrf_token": token, "level": "1"}).status_code == 303
    again = client.post(f"/r/{code}", data={"csrf_token": token, "level": "5"})
    assert again.status_code == 409
    assert "已经评价过了" in again.get_data(as_text=True)
    view = client.get(f"/r/{code}")
    assert view.status_code == 200
    html = view.get_data(as_text=True)
    # The progress in a citizen's words, never the office's (待核实, 销号).
    assert "处理进度：<strong>已受理</strong>" in html and "非常不满意" in html and "待核实" not in html
    with db.connection_context():
        Ticket.update(state="replied", reply_text="已整改，向您致歉。", replied_at=clock.now()).execute()
    html = client.get(f"/r/{code}").get_data(as_text=True)
    assert "已整改，向您致歉。" in html and "处理进度：<strong>已答复</strong>" in html
    for state, words in (("rectifying", "整改中"), ("explained", "整改中"), ("appeal", "已受理"), ("closed", "已办结")):
        with db.connection_context():
            Ticket.update(state=state).execute()
        html = client.get(f"/r/{code}").get_data(as_text=True)
        assert f"处理进度：<strong>{words}</strong>" in html and "销号" not in html


def test_expired_and_unknown_codes(client, make):
    code = create_case(client, make)
    clock.freeze(clock.now() + dt.timedelta(days=31))
    res = client.get(f"/r/{code}")
    assert res.status_code == 410 and "评价已过期" in res.get_data(as_text=True)
    for bad in ("ZZZZZZZZZ", "abc", "x" * 40, "%E4%B8%AD"):
        res = client.get(f"/r/{bad}")
        assert res.status_code == 404 and "评价链接无效" in res.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client, make):
    code = create_case(client, make)
    client.get(f"/r/{code}")
    res = client.post(f"/r/{code}", data={"level": "5"})
    assert res.status_code == 400
    assert "请重新提交" in res.get_data(as_text=True)
    with db.connection_context():
        assert Rating.select().count() == 0


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({}, "请先选择一个评价等级"),
        ({"level": "9"}, "请先选择一个评价等级"),
        ({"level": "five"}, "请先选择一个评价等级"),
        ({"level": "5", "comment": "长" * 501}, "不能超过 500 字"),
    ],
)
def test_bad_input_shows_the_form_again(client, make, fields, text):
    code = create_case(client, make)
    res = fill(client, f"/r/{code}", **fields)
    assert res.status_code == 422
    html = res.get_data(as_text=True)
    assert text in html and 'name="csrf_token"' in html


def test_onsite_qr_rating_with_a_contact_for_the_reply(client, make):
    res = fill(client, "/q/w:W04", level="1", labels=["101"], phone="139 0013 9000")
    assert res.status_code == 303
    thanks = client.get(res.headers["Location"]).get_data(as_text=True)
    assert "139****9000" in thanks and "区公安分局" in thanks
    with db.connection_context():
        rating = Rating.get()
        assert rating.channel == "qr" and rating.window.code == "W04" and rating.case is None
        assert RaterContact.get().phone == "13900139000"
        assert due_text(Ticket.get()) in thanks


def test_onsite_bad_phone_and_good_rating_keeps_no_phone(client, make):
    res = fill(client, "/q/s:S002", level="2", phone="12345")
    assert res.status_code == 422 and "手机号格式不正确" in res.get_data(as_text=True)
    res = fill(client, "/q/s:S002", level="5", phone="13900139000")
    assert res.status_code == 303
    with db.connection_context():
        rating = Rating.get()
        assert rating.staff.code == "S002" and rating.window.code == "W05"
        assert RaterContact.select().count() == 0  # only a 差评 needs a reply


def test_onsite_limit_per_browser_per_window_per_day(client, make):
    for _ in range(3):
        assert fill(client, "/q/w:W05", level="4").status_code == 303
    res = client.get("/q/w:W05")
    assert res.status_code == 429 and "今日评价次数已满" in res.get_data(as_text=True)
    # Another browser is another rater.
    other = client.application.test_client()
    assert fill(other, "/q/w:W05", level="4").status_code == 303


def test_unknown_scene(client, make):
    for scene in ("w:NOPE", "nonsense", "s:"):
        res = client.get(f"/q/{scene}")
        assert res.status_code == 404 and "二维码无效" in res.get_data(as_text=True)


def test_thanks_page_of_someone_else_is_not_shown(client, make):
    fill(client, "/q/w:W04", level="5")
    other = client.application.test_client()
    res = other.get("/q/w:W04/thanks")
    assert res.status_code == 303 and res.headers["Location"].endswith("/q/w:W04")


def test_the_addendum_is_offered_to_the_browser_that_rated_within_the_days(client, app, make):
    code = create_case(client, make)
    assert fill(client, f"/r/{code}", level="4").status_code == 303
    assert "追加评价（追评）" in client.get(f"/r/{code}").get_data(as_text=True)
    res = fill(client, f"/r/{code}/addendum", level="2", labels=["202"], comment="后来又让我补材料")
    assert res.status_code == 303 and res.headers["Location"].endswith(f"/r/{code}")
    html = client.get(f"/r/{code}").get_data(as_text=True)
    assert "您的追评" in html and "后来又让我补材料" in html and "追加评价（追评）" not in html
    with db.connection_context():
        first, added = list(Rating.select().order_by(Rating.sequence))
        assert (added.sequence, added.channel, added.level, added.label_codes) == (2, "h5", 2, ["202"])
        assert added.rater_ref == first.rater_ref
        assert Ticket.for_rating(added) is not None  # a 差评 as 追评 opens its ticket too
    again = client.get(f"/r/{code}/addendum")
    assert again.status_code == 200 and "您的追评" in again.get_data(as_text=True)


def test_no_addendum_for_another_browser_or_after_the_days(client, app, make):
    code = create_case(client, make)
    assert fill(client, f"/r/{code}", level="5").status_code == 303
    stranger = app.test_client()
    assert "追加评价" not in stranger.get(f"/r/{code}").get_data(as_text=True)
    res = stranger.get(f"/r/{code}/addendum")
    assert res.status_code == 403 and "不能追评" in res.get_data(as_text=True)
    token = csrf_from(stranger.get("/q/w:W04").get_data(as_text=True))
    res = stranger.post(f"/r/{code}/addendum", data={"csrf_token": token, "level": "1"})
    assert res.status_code == 403
    clock.freeze(clock.now() + dt.timedelta(days=app.config["SETTINGS"].ratings.addendum_days, minutes=1))
    assert "追加评价" not in client.get(f"/r/{code}").get_data(as_text=True)
    assert client.get(f"/r/{code}/addendum").status_code == 403
    with db.connection_context():
        assert Rating.select().count() == 1
