"""`wechat.provider = "fake"` (the embedded default): wechatpy talks to a fake
started inside the process, so `python app.py` works without WeChat."""

import pytest

from core.config import ConfigError
from core.config import load
from wechat.client import FAKE_APPID

pytestmark = pytest.mark.settings(
    {"wechat": {"provider": "fake", "appid": "", "secret": "", "reply_template": {"id": ""}}}
)


def test_login_rating_and_codes_work_against_the_in_process_fake(app, client, make):
    res = client.post("/api/wx/login", json={"code": "demo.1"})
    assert res.status_code == 200
    auth = {"Authorization": f"Bearer {res.get_json()['token']}"}
    assert client.post("/api/wx/ratings", json={"scene": "w:W04", "level": 5}, headers=auth).status_code == 201
    state = client.get("/api/wx/subscriptions", headers=auth).get_json()
    assert state["templates"] == {"reply": "fake-reply-template"}
    assert client.get("/qr/windows/W04/wxacode.png").status_code == 200
    assert app.extensions["hcp.wechat"].appid == FAKE_APPID
    assert app.extensions["hcp.wechat"].base_url.startswith("http://127.0.0.1:")


def test_the_fake_is_said_on_healthz_and_on_every_admin_page(app, client, make):
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["wechat"] == "fake"
    assert "仅供演示" in health["warning"]
    page = client.get("/admin/login").get_data(as_text=True)
    assert 'id="wechat-fake"' in page and "演示模式" in page


def test_the_provider_is_checked():
    with pytest.raises(ConfigError, match="wechat.secret"):
        load({"wechat": {"appid": "wx1"}}, environ={})
    with pytest.raises(ConfigError, match="wechat.appid"):
        load({"wechat": {"provider": "wechat", "secret": "s"}}, environ={})
    with pytest.raises(ConfigError, match="wechat.provider"):
        load({"wechat": {"provider": "tencent"}}, environ={})
    with pytest.raises(ConfigError, match="wechat.rate_page"):
        load({"wechat": {"rate_page": "/pages/rate/index"}}, environ={})
    # Fail-safe: no provider named is the real API, never the fake.
    assert load({"wechat": {"appid": "wx1", "secret": "s"}}, environ={}).wechat.provider == "wechat"
    assert load({}, environ={}).wechat.provider == "wechat"
