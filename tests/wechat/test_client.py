"""wechatpy against the fake WeChat server: stable_token, the shared token row,
one refresh-and-retry on token errors, timeouts and quota errors."""

import socket
import threading

import pytest

from models import WxToken
from models import db
from wechat.client import StableTokenClient
from wechat.client import WeChatError
from wechat.client import call
from wechat.client import get_client

from .fakes import APPID
from .fakes import SECRET


def test_workers_share_one_token(app, ctx, fake_wx):
    first = StableTokenClient(APPID, SECRET, fake_wx.base_url, timeout=2)
    second = StableTokenClient(APPID, SECRET, fake_wx.base_url, timeout=2)
    call(first.wxa.code_to_session, "alice.1")
    call(second.wxa.code_to_session, "bob.1")
    # The second "worker" found the first one's token in the shared row.
    assert fake_wx.calls["stable_token"] == 1
    assert fake_wx.calls.get("token") is None  # never the invalidating cgi-bin/token
    assert WxToken.select().count() == 1


def test_expired_token_is_refreshed_once_and_the_call_retried(app, ctx, fake_wx):
    client = get_client()
    call(client.wxa.code_to_session, "alice.1")
    old = WxToken.get().value
    fake_wx.expire_tokens()
    result = call(client.wxa.code_to_session, "alice.2")
    assert result["openid"] == fake_wx.openid_for("alice.2")
    assert WxToken.get().value != old
    assert fake_wx.calls["stable_token"] == 2


def test_a_refused_token_that_comes_back_unchanged_is_force_refreshed(app, ctx, fake_wx):
    client = get_client()
    call(client.wxa.code_to_session, "alice.1")
    fake_wx.reject_tokens = True  # as if another party had force-refreshed
    result = call(client.wxa.code_to_session, "alice.2")
    assert result["openid"]
    assert fake_wx.forced == 1
    # Another refusal within 30 s does not spend a second forced refresh.
    fake_wx.reject_tokens = True
    with pytest.raises(WeChatError) as exc:
        call(client.wxa.code_to_session, "alice.3")
    assert exc.value.errcode == 40001
    assert fake_wx.forced == 1


def test_token_error_is_retried_only_once(app, ctx, fake_wx):
    client = get_client()
    fake_wx.fail_next("jscode2session", 42001, times=5)
    with pytest.raises(WeChatError) as exc:
        call(client.wxa.code_to_session, "alice.1")
    assert exc.value.errcode == 42001 and exc.value.kind == "rejected"
    assert fake_wx.calls["jscode2session"] == 2


@pytest.mark.parametrize(
    ("errcode", "kind"), [(45009, "quota"), (45011, "quota"), (-1, "unavailable"), (40029, "rejected")]
)
def test_errors_are_classified(app, ctx, fake_wx, errcode, kind):
    fake_wx.fail_next("jscode2session", errcode)
    with pytest.raises(WeChatError) as exc:
        call(get_client().wxa.code_to_session, "alice.1")
    assert (exc.value.kind, exc.value.errcode) == (kind, errcode)


def test_every_call_has_a_timeout(app, ctx):
    # A server that accepts and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    stop = threading.Event()
    try:
        client = StableTokenClient(APPID, SECRET, f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=0.3)
        with pytest.raises(WeChatError) as exc:
            call(client.wxa.code_to_session, "alice.1")
        assert exc.value.kind == "unavailable"
    finally:
        stop.set()
        silent.close()


def test_stable_token_errors_surface(app, ctx, fake_wx):
    fake_wx.fail_next("stable_token", 40164)  # caller IP not in the whitelist
    with pytest.raises(WeChatError) as exc:
        call(get_client().wxa.code_to_session, "alice.1")
    assert exc.value.errcode == 40164
    with db.atomic():
        assert WxToken.select().count() == 0
