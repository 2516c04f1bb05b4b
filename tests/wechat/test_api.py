"""The mini-program API over wechatpy and the fake WeChat server."""

import pytest

from core import clock
from models import Rating
from models import Ticket
from models import WxUser
from models import db

from .fakes import login


def test_login_issues_our_token_and_keeps_the_session_key(client, make, fake_wx):
    res = client.post("/api/wx/login", json={"code": "alice.1"})
    assert res.status_code == 200
    body = res.get_json()
    assert set(body) == {"token", "expires_in"}
    assert body["expires_in"] == 72 * 3600
    assert "session_key" not in res.get_data(as_text=True)
    with db.connection_context():
        user = WxUser.get()
        assert user.openid == fake_wx.openid_for("alice") and user.session_key


def test_a_used_code_is_refused(client, make):
    assert client.post("/api/wx/login", json={"code": "alice.1"}).status_code == 200
    again = client.post("/api/wx/login", json={"code": "alice.1"})
    assert again.status_code == 400
    assert again.get_json()["error"]["code"] == "invalid_code"


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": 5}, [], {"code": "x" * 200}])
def test_login_bad_input(client, make, body):
    res = client.post("/api/wx/login", json=body)
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "invalid_code"


def test_login_quota_and_outage_are_clear(client, make, fake_wx):
    fake_wx.fail_next("jscode2session", 45011)
    quota = client.post("/api/wx/login", json={"code": "alice.1"})
    assert quota.status_code == 429 and quota.get_json()["error"]["code"] == "wechat_quota"
    fake_wx.fail_next("jscode2session", -1)
    busy = client.post("/api/wx/login", json={"code": "alice.2"})
    assert busy.status_code == 503 and busy.get_json()["error"]["code"] == "wechat_unavailable"


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic abc"])
def test_routes_need_our_token(client, make, header):
    headers = {"Authorization": header} if header else {}
    res = client.get("/api/wx/ratings/mine", headers=headers)
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] in ("missing_token", "invalid_token")


def test_token_expires(client, make):
    auth = login(client)
    clock.freeze(clock.now().replace(day=30))  # 4 days later; the session lasts 72 hours
    res = client.get("/api/wx/ratings/mine", headers=auth)
    assert res.status_code == 401 and res.get_json()["error"]["code"] == "token_expired"


def create_case(client, make, case_no="GA-2026-0001"):
    res = client.post("/api/v1/cases", json=make.case_payload(case_no), headers=make.auth(make.police_key))
    return res.get_json()["rating_code"]


def test_rating_context_for_a_case(client, make):
    code = create_case(client, make)
    auth = login(client)
    body = client.get(f"/api/wx/rating-context?code={code}", headers=auth).get_json()
    assert body["target"] == {
        "kind": "case",
        "item": "居民身份证换领",
        "department": "区公安分局",
        "hall": "鄠邑市民之家",
        "window": "户籍业务窗口",
        "staff": "王敏",
        "completed_at": "2026-11-26T09:40:00+08:00",
    }
    assert body["already_rated"] is False and body["expired"] is False
    assert [lv["level"] for lv in body["levels"]] == [5, 4, 3, 2, 1]
    assert body["levels"][3] == {
        "level": 2,
        "name": "不满意",
        "is_bad": True,
        "labels": [{"code": "201", "text": "服务态度差"}, {"code": "202", "text": "办理时间长"}],
    }
    assert "13800138000" not in str(body) and "张三" not in str(body)


def test_rating_context_for_a_scene(client, make):
    auth = login(client)
    body = client.get("/api/wx/rating-context?scene=s:S001", headers=auth).get_json()
    assert body["target"]["kind"] == "staff"
    assert body["target"]["staff"] == "王敏" and body["target"]["window"] == "户籍业务窗口"
    assert body["ratings_left_today"] == 3


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 422, "missing_target"),
        ("?code=ABC&scene=w:W04", 422, "missing_target"),
        ("?code=ZZZZZZZZZ", 404, "unknown_code"),
        ("?code=%00%01", 404, "unknown_code"),
        ("?scene=w:NOPE", 404, "unknown_scene"),
        ("?scene=x:W04", 404, "unknown_scene"),
        ("?scene=" + "w" * 40, 404, "unknown_scene"),
    ],
)
def test_rating_context_bad_input(client, make, query, status, code):
    auth = login(client)
    res = client.get("/api/wx/rating-context" + query, headers=auth)
    assert res.status_code == status
    assert res.get_json()["error"]["code"] == code


def test_rate_a_case_then_see_it_in_mine_with_the_reply(client, make):
    code = create_case(client, make)
    auth = login(client)
    res = client.post(
        "/api/wx/ratings", json={"code": code, "level": 2, "labels": ["201"], "comment": "等了很久"}, headers=auth
    )
    assert res.status_code == 201
    body = res.get_json()
    assert body["is_bad"] is True and body["ticket_no"].startswith("CP")
    assert body["subscribe_templates"] == ["TPL-reply-0001"]
    again = client.post("/api/wx/ratings", json={"code": code, "level": 5}, headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_rated"

    mine = client.get("/api/wx/ratings/mine", headers=auth).get_json()["ratings"]
    assert len(mine) == 1
    assert mine[0]["labels"] == [{"code": "201", "text": "服务态度差"}]
    assert mine[0]["ticket"]["state"] == "new" and mine[0]["ticket"]["state_name"] == "待核实"
    assert mine[0]["ticket"]["reply"] is None
    with db.connection_context():
        Ticket.update(state="replied", reply_text="已约谈窗口人员并整改。", replied_at=clock.now()).execute()
        assert Rating.get().channel == "wechat"
    ticket = client.get("/api/wx/ratings/mine", headers=auth).get_json()["ratings"][0]["ticket"]
    assert ticket["state_name"] == "已反馈"
    assert ticket["reply"] == {"text": "已约谈窗口人员并整改。", "replied_at": "2026-11-26T10:00:00+08:00"}
    # Someone else sees nothing of it.
    other = login(client, "bob")
    assert client.get("/api/wx/ratings/mine", headers=other).get_json() == {"ratings": []}
    context = client.get(f"/api/wx/rating-context?code={code}", headers=auth).get_json()
    assert context["already_rated"] is True


def test_onsite_ratings_by_scene_are_limited_per_day(client, make):
    auth = login(client)
    for _ in range(3):
        res = client.post("/api/wx/ratings", json={"scene": "w:W05", "level": 5}, headers=auth)
        assert res.status_code == 201 and "subscribe_templates" not in res.get_json()
    fourth = client.post("/api/wx/ratings", json={"scene": "w:W05", "level": 5}, headers=auth)
    assert fourth.status_code == 429 and fourth.get_json()["error"]["code"] == "rating_limit_reached"
    body = client.get("/api/wx/rating-context?scene=w:W05", headers=auth).get_json()
    assert body["ratings_left_today"] == 0 and body["already_rated"] is True
    with db.connection_context():
        assert {r.rater_ref for r in Rating.select()} == {"wx:" + WxUser.get().openid}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"scene": "w:W04", "level": 7}, "invalid_level"),
        ({"scene": "w:W04", "level": "5"}, "invalid_level"),
        ({"scene": "w:W04", "level": 5, "labels": ["201"]}, "unknown_label"),
        ({"scene": "w:W04", "level": 5, "comment": 3}, "invalid_comment"),
        ({"scene": "w:W04", "level": 5, "followup": "yes"}, "invalid_addendum"),
        ({"level": 5}, "missing_target"),
    ],
)
def test_rating_bad_input(client, make, body, code):
    auth = login(client)
    res = client.post("/api/wx/ratings", json=body, headers=auth)
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == code


def test_subscriptions_are_counted_per_acceptance(client, make):
    auth = login(client)
    state = client.get("/api/wx/subscriptions", headers=auth).get_json()
    assert state["templates"] == {"reply": "TPL-reply-0001"}
    result = {"errMsg": "requestSubscribeMessage:ok", "TPL-reply-0001": "accept", "OTHER": "accept"}
    client.post("/api/wx/subscriptions", json=result, headers=auth)
    state = client.post("/api/wx/subscriptions", json=result, headers=auth).get_json()
    assert state["subscriptions"] == [{"purpose": "reply", "template_id": "TPL-reply-0001", "remaining": 2}]
    state = client.post("/api/wx/subscriptions", json={"TPL-reply-0001": "reject"}, headers=auth).get_json()
    assert state["subscriptions"][0]["remaining"] == 0
    bad = client.post("/api/wx/subscriptions", json={"TPL-reply-0001": "maybe"}, headers=auth)
    assert bad.status_code == 422
