"""The fake WeChat server for tests, and the settings that point wechatpy at it."""

import pytest

from wechat.fake import FakeWeChat

APPID = "wx1234567890abcdef"
SECRET = "test-wechat-secret"
TEMPLATE = "TPL-reply-0001"
PAGE = "pages/rate/index"


@pytest.fixture
def fake_wx():
    fake = FakeWeChat(APPID, SECRET, templates={TEMPLATE}, pages={PAGE})
    fake.serve()
    yield fake
    fake.stop()


@pytest.fixture
def settings_overrides(settings_overrides, fake_wx):
    return point_at(settings_overrides, fake_wx)


def point_at(overrides: dict, fake: FakeWeChat) -> dict:
    """The settings of the real provider (wechatpy) at the fake's address; a test's own
    `wechat` settings win. No `provider` key: the default is the real API at api_base."""
    wx = overrides.setdefault("wechat", {})
    for key, value in {
        "appid": APPID,
        "secret": SECRET,
        "api_base": fake.base_url,
        "timeout_seconds": 2,
        "rate_page": PAGE,
        "reply_template": {"id": TEMPLATE},
    }.items():
        wx.setdefault(key, value)
    return overrides


def login(client, name: str = "alice", n: int = 1) -> dict:
    """Log in as user `name` (the fake maps "<name>.<n>" to one openid)."""
    res = client.post("/api/wx/login", json={"code": f"{name}.{n}"})
    assert res.status_code == 200, res.get_json()
    return {"Authorization": f"Bearer {res.get_json()['token']}"}
