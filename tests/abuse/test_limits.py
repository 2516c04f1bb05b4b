"""Rate limits on the public endpoints, exercised for real (Flask-Limiter, memory and Redis)."""

import uuid

import pytest
import redis

from app import create_app
from core.config import ConfigError
from core.config import load
from tests.web.helpers import create_case
from tests.web.helpers import csrf_from

TOKEN = "abuse-callback-token-0123456789"


def low(**limits):
    return pytest.mark.settings({"limits": limits})


def assert_json_429(res):
    assert res.status_code == 429
    body = res.get_json()
    assert body["error"]["code"] == "too_many_requests"
    assert "请" in body["error"]["message"] and "后再试" in body["error"]["message"]
    assert int(res.headers["Retry-After"]) >= 1


@low(web_ip="3/minute")
def test_rate_pages_are_limited_per_ip_with_a_chinese_page(client, make):
    for _ in range(3):
        assert client.get("/q/w:W04").status_code == 200
    res = client.get("/q/w:W04")
    assert res.status_code == 429
    page = res.get_data(as_text=True)
    assert "您的操作过于频繁" in page and "<html" in page
    assert int(res.headers["Retry-After"]) >= 1
    # The group shares one counter: another page of the group is limited too …
    assert client.get("/r/ABCDEFGH").status_code == 429
    # … another address is not.
    assert client.get("/q/w:W04", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


@low(web_rater="2/minute")
def test_rating_posts_are_limited_per_rater_cookie(app, make):
    first, second = app.test_client(), app.test_client()
    token = csrf_from(first.get("/q/w:W04").get_data(as_text=True))
    for _ in range(2):
        assert first.post("/q/w:W04", data={"csrf_token": token, "level": "9"}).status_code == 422
    assert first.post("/q/w:W04", data={"csrf_token": token, "level": "5"}).status_code == 429
    # GETs are not counted against the rater, and another browser has its own budget.
    assert first.get("/q/w:W04").status_code == 200
    token2 = csrf_from(second.get("/q/w:W04").get_data(as_text=True))
    assert second.post("/q/w:W04", data={"csrf_token": token2, "level": "5"}).status_code == 303


@pytest.mark.settings({"limits": {"web_phone": "1/day"}, "ratings": {"onsite_daily_limit": 100}})
def test_a_phone_left_on_the_onsite_page_is_limited(app, make):
    clients = [app.test_client() for _ in range(3)]
    tokens = [csrf_from(c.get("/q/w:W04").get_data(as_text=True)) for c in clients]
    form = {"level": "2", "labels": "201", "phone": "13900001111"}
    assert clients[0].post("/q/w:W04", data={**form, "csrf_token": tokens[0]}).status_code == 303
    # The same phone from another browser: refused; without a phone, or another phone: accepted.
    assert clients[1].post("/q/w:W04", data={**form, "csrf_token": tokens[1]}).status_code == 429
    other = {**form, "phone": "139 0000 2222", "csrf_token": tokens[2]}
    assert clients[2].post("/q/w:W04", data=other).status_code == 303


@low(wx_login_ip="2/minute", wx_user="3/minute")
def test_mini_program_login_per_ip_and_calls_per_wechat_user(client, make):
    tokens = []
    for n in range(2):
        res = client.post("/api/wx/login", json={"code": f"user{n}.1"})
        assert res.status_code == 200
        tokens.append(res.get_json()["token"])
    assert_json_429(client.post("/api/wx/login", json={"code": "user9.1"}))
    alice, bob = ({"Authorization": f"Bearer {t}"} for t in tokens)
    for _ in range(3):
        assert client.get("/api/wx/ratings/mine", headers=alice).status_code == 200
    assert_json_429(client.get("/api/wx/ratings/mine", headers=alice))
    assert_json_429(client.post("/api/wx/ratings", json={"scene": "w:W04", "level": 5}, headers=alice))
    # Another WeChat user from the same address is not affected.
    assert client.post("/api/wx/ratings", json={"scene": "w:W04", "level": 5}, headers=bob).status_code == 201


@low(api_key="2/minute")
def test_business_api_is_limited_per_api_key(client, make):
    police, social = make.auth(make.police_key), make.auth(make.social_key)
    for _ in range(2):
        assert client.get("/api/v1/departments", headers=police).status_code == 200
    assert_json_429(client.get("/api/v1/departments", headers=police))
    assert_json_429(client.post("/api/v1/cases", json=make.case_payload(), headers=police))
    assert client.get("/api/v1/departments", headers=social).status_code == 200


@pytest.mark.settings({"limits": {"sms_ip": "2/minute"}, "sms": {"callback_token": TOKEN}})
def test_sms_callbacks_are_limited_per_ip(client, make):
    item = {"phone_number": "13800138000", "content": "5", "sequence_id": "1", "send_time": "2026-11-26 10:00:00"}
    for n in range(2):
        assert client.post(f"/sms/aliyun/{TOKEN}/up", json=[{**item, "sequence_id": str(n)}]).status_code == 200
    assert_json_429(client.post(f"/sms/aliyun/{TOKEN}/report", json=[item]))
    other = client.post(f"/sms/aliyun/{TOKEN}/up", json=[item], environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert other.status_code == 200


@low(admin_login_ip="2/minute")
def test_admin_login_attempts_are_limited_per_ip(client, make):
    page = client.get("/admin/login")
    token = csrf_from(page.get_data(as_text=True))
    for _ in range(2):
        res = client.post("/admin/login", data={"csrf_token": token, "username": "nobody", "password": "x"})
        assert res.status_code == 401
    res = client.post("/admin/login", data={"csrf_token": token, "username": "nobody", "password": "x"})
    assert res.status_code == 429 and "您的操作过于频繁" in res.get_data(as_text=True)
    # Reading the login page is not an attempt; the rest of the admin is not in this group.
    assert client.get("/admin/login").status_code == 200
    assert client.get("/admin/").status_code == 302


@low(public_ip="2/minute")
def test_public_results_and_qr_images_are_limited_per_ip(client, make):
    assert client.get("/public/results").status_code == 200
    assert client.get("/qr/windows/W04/qrcode.png").status_code == 200
    assert client.get("/public/results").status_code == 429
    assert client.get("/qr/windows/W04/qrcode.png").status_code == 429
    # Health checks are never limited.
    for _ in range(5):
        assert client.get("/healthz").status_code in (200, 503)


@low(web_ip="2/minute", proxy_hops=1)
def test_behind_a_proxy_the_forwarded_address_is_counted(client, make):
    for ip in ("1.2.3.4", "1.2.3.4"):
        assert client.get("/q/w:W04", headers={"X-Forwarded-For": f"9.9.9.9, {ip}"}).status_code == 200
    assert client.get("/q/w:W04", headers={"X-Forwarded-For": "1.2.3.4"}).status_code == 429
    # A client cannot escape by forging the left part: only the proxy's entry counts.
    assert client.get("/q/w:W04", headers={"X-Forwarded-For": "8.8.8.8, 1.2.3.4"}).status_code == 429
    assert client.get("/q/w:W04", headers={"X-Forwarded-For": "5.6.7.8"}).status_code == 200


@low(web_ip="2/minute")
def test_without_a_trusted_proxy_forwarded_headers_are_ignored(client, make):
    for n in range(2):
        assert client.get("/q/w:W04", headers={"X-Forwarded-For": f"1.1.1.{n}"}).status_code == 200
    assert client.get("/q/w:W04", headers={"X-Forwarded-For": "1.1.1.7"}).status_code == 429


@low(web_ip="1/minute", enabled=False)
def test_limits_can_be_switched_off(client, make):
    for _ in range(3):
        assert client.get("/q/w:W04").status_code == 200


def test_default_limits_leave_ordinary_use_alone(client, make):
    create_case(client, make)
    for _ in range(50):
        assert client.get("/q/w:W04").status_code == 200
    assert client.get("/q/w:W04").headers["X-RateLimit-Limit"] == "300"


def test_limit_settings_are_validated():
    with pytest.raises(ConfigError, match="limits.web_ip"):
        load({"limits": {"web_ip": "lots"}}, environ={})
    with pytest.raises(ConfigError, match="limits.storage_uri"):
        load({"limits": {"storage_uri": "memcached://127.0.0.1"}}, environ={})
    with pytest.raises(ConfigError, match="limits.strategy"):
        load({"limits": {"strategy": "leaky"}}, environ={})
    with pytest.raises(ConfigError, match="limits.proxy_hops"):
        load({"limits": {"proxy_hops": 9}}, environ={})
    assert load({"limits": {"api_key": "10/second;1000/hour"}}, environ={}).limits.api_key == "10/second;1000/hour"
    env = {"HCP_LIMITS_STORAGE_URI": "redis://127.0.0.1:6379/0", "HCP_LIMITS_ENABLED": "false"}
    settings = load(environ=env)
    assert settings.limits.storage_uri == "redis://127.0.0.1:6379/0" and settings.limits.enabled is False


def test_redis_storage_is_shared_between_workers(settings_overrides, make):
    """Two app instances (two gunicorn workers) count against one Redis."""
    prefix = "hcptest" + uuid.uuid4().hex[:12]
    overrides = dict(settings_overrides)
    overrides["limits"] = {"storage_uri": "redis://127.0.0.1:6379/0", "key_prefix": prefix, "web_ip": "3/minute"}
    worker_a, worker_b = create_app(overrides).test_client(), create_app(overrides).test_client()
    server = redis.Redis(host="127.0.0.1", port=6379, db=0)
    try:
        assert worker_a.get("/q/w:W04").status_code == 200
        assert worker_b.get("/q/w:W04").status_code == 200
        assert worker_a.get("/q/w:W04").status_code == 200
        assert worker_b.get("/q/w:W04").status_code == 429
        assert worker_a.get("/q/w:W04").status_code == 429
        keys = [k.decode() for k in server.scan_iter(f"*{prefix}*")]
        assert keys and all("web_ip" in k and "127.0.0.1" in k for k in keys)
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
        server.close()


@low(heavy_ip="2/minute", public_ip="100/minute")
def test_posters_have_their_own_lower_limit(client, make):
    assert client.get("/qr/windows/W04/poster.png").status_code == 200
    assert client.get("/qr/halls/SMZJ/posters.pdf").status_code == 200
    assert client.get("/qr/staff/S001/poster.png").status_code == 429
    # The light routes of the same blueprint count against public_ip only.
    assert client.get("/qr/windows/W04/qrcode.png").status_code == 200


def test_several_workers_counting_in_memory_get_a_loud_warning(caplog):
    from ops.limits import gunicorn_workers
    from ops.limits import warn_if_per_process

    memory = load(environ={}).limits
    redis_store = load({"limits": {"storage_uri": "redis://127.0.0.1:6379/0"}}, environ={}).limits
    assert warn_if_per_process(memory, 4)
    assert "RATE LIMITS COUNT PER PROCESS" in caplog.text and "4 workers" in caplog.text
    assert not warn_if_per_process(memory, 1)
    assert not warn_if_per_process(memory, None)  # python app.py: one process
    assert not warn_if_per_process(redis_store, 4)
    assert warn_if_per_process(memory, -1)
    gunicorn = {"gunicorn.arbiter": object()}
    assert gunicorn_workers(["-w", "4", "app:create_app()"], {}, gunicorn) == 4
    assert gunicorn_workers(["--workers=3", "x"], {}, gunicorn) == 3
    assert gunicorn_workers(["x"], {"GUNICORN_CMD_ARGS": "--workers 5"}, gunicorn) == 5
    assert gunicorn_workers(["x"], {"WEB_CONCURRENCY": "2"}, gunicorn) == 2
    assert gunicorn_workers(["-c", "deploy/gunicorn.conf.py", "x"], {}, gunicorn) == -1
    assert gunicorn_workers(["x"], {}, {}) is None
