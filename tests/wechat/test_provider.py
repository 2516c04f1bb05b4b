"""Fail-safe WeChat provider: a configuration that names no provider calls the real
API at `api_base` (here the local fake WeChat server, over HTTP, through wechatpy);
without appid and secret nothing is faked and the endpoints say WeChat is not set up."""

import pytest

from models import WxUser
from models import db

from .fakes import APPID


@pytest.fixture
def settings_overrides(settings_overrides):
    # point_at (conftest) sets appid, secret and api_base and no provider: the configuration
    # a production deployment following ../shared/API.md writes.
    assert "provider" not in settings_overrides["wechat"]
    return settings_overrides


def test_a_config_without_provider_calls_code2session_at_api_base(app, client, fake_wx):
    res = client.post("/api/wx/login", json={"code": "carol.1"})
    assert res.status_code == 200, res.get_json()
    assert fake_wx.calls.get("jscode2session") == 1
    assert fake_wx.openid_for("carol") in fake_wx.openids
    with db.connection_context():
        assert WxUser.get().openid == fake_wx.openid_for("carol")
    # A code the server never issued is refused by WeChat, not waved through by a fake.
    again = client.post("/api/wx/login", json={"code": "carol.1"})
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "invalid_code"
    assert app.extensions["hcp.wechat"].appid == APPID
    assert app.extensions["hcp.wechat"].base_url.rstrip("/") == fake_wx.base_url.rstrip("/")
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["wechat"] == "wechat" and "warning" not in health


@pytest.mark.settings({"wechat": {"appid": "", "secret": ""}})
def test_without_credentials_nothing_is_faked(app, client, make, fake_wx):
    res = client.post("/api/wx/login", json={"code": "mallory.1"})
    assert res.status_code == 503
    assert res.get_json()["error"]["code"] == "wechat_not_configured"
    assert fake_wx.calls == {}
    qr = client.get("/qr/windows/W04/wxacode.png")
    assert qr.status_code == 503 and "尚未配置微信小程序" in qr.get_data(as_text=True)
    assert client.get("/healthz").get_json()["wechat"] == "not_configured"
    # The plain QR code of the H5 page needs no WeChat.
    assert client.get("/qr/windows/W04/qrcode.png").status_code == 200
