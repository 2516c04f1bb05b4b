"""The wechatpy client, made fit for several worker processes (the client itself is in
wechat/token_client.py, imported at the first WeChat call: wechatpy and requests are 15 MB
of a web worker's memory, and most workers never call WeChat).

wechatpy 1.8.18 fetches tokens from `cgi-bin/token` (each fetch invalidates
the token other processes hold), without a timeout, and retries a token
error without limit. `StableTokenClient` fetches from `cgi-bin/stable_token`
(every process is handed the same token), keeps it in one database row that
all workers share (`WxToken`), passes a timeout on every call, and on a token
error refreshes once and retries once. Every failure reaches the caller as a
`WeChatError` whose `kind` says what to do: "quota", "unavailable",
"rejected" or "unconfigured".
"""

import datetime as dt
import logging
import threading

from flask import current_app

log = logging.getLogger(__name__)

TOKEN_ERRORS = (40001, 40014, 42001)
QUOTA_ERRORS = (45009, 45011, 45047, 44990)
BUSY_ERRORS = (-1,)
# Refresh this long before the token's end, as wechatpy does.
TOKEN_MARGIN = dt.timedelta(seconds=60)
# stable_token allows a forced refresh 20 times a day, 30 s apart.
FORCE_SPACING = dt.timedelta(seconds=30)

FAKE_APPID = "wx00000000fake0000"
FAKE_SECRET = "fake-secret-for-local-runs"  # noqa: S105 - the in-process fake's, not a credential
FAKE_REPLY_TEMPLATE = "fake-reply-template"


class WeChatError(Exception):
    """A failed WeChat call: `kind` is "quota", "unavailable", "rejected" or "unconfigured"
    (`provider = "wechat"` without appid and secret: nothing is called)."""

    def __init__(self, kind: str, errcode, errmsg: str):
        super().__init__(f"WeChat {kind}: {errcode} {errmsg}")
        self.kind, self.errcode, self.errmsg = kind, errcode, errmsg


def __getattr__(name: str):
    """`StableTokenClient` and `DbTokenStorage` from here, loaded when first asked for."""
    if name in ("StableTokenClient", "DbTokenStorage"):
        from . import token_client

        return getattr(token_client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def call(fn, *args, **kwargs):
    """Run one WeChat call; every failure becomes a `WeChatError`."""
    import requests
    from wechatpy.exceptions import WeChatClientException

    try:
        return fn(*args, **kwargs)
    except WeChatClientException as exc:
        errcode = exc.errcode
        if errcode is None or errcode in BUSY_ERRORS:
            kind = "unavailable"
        elif errcode in QUOTA_ERRORS:
            kind = "quota"
        else:
            kind = "rejected"
        log.warning("WeChat call %s failed: %s %s", getattr(fn, "__name__", fn), errcode, exc.errmsg)
        raise WeChatError(kind, errcode, str(exc.errmsg)) from None
    except requests.RequestException as exc:
        log.warning("WeChat call %s failed: %s", getattr(fn, "__name__", fn), type(exc).__name__)
        raise WeChatError("unavailable", None, type(exc).__name__) from None


def mode(settings) -> str:
    """ "wechat" (the real API at api_base), "fake" (the in-process fake: demo only) or
    "not_configured" (the real API named, without appid and secret)."""
    wx = settings.wechat
    if wx.provider == "fake":
        return "fake"
    return "wechat" if wx.appid and wx.secret else "not_configured"


def effective(settings) -> dict:
    """appid, secret, base URL and reply template for the configured provider."""
    wx = settings.wechat
    if wx.provider == "fake":
        return {
            "appid": wx.appid or FAKE_APPID,
            "secret": wx.secret or FAKE_SECRET,
            "base_url": None,
            "reply_template": wx.reply_template.id or FAKE_REPLY_TEMPLATE,
        }
    return {"appid": wx.appid, "secret": wx.secret, "base_url": wx.api_base, "reply_template": wx.reply_template.id}


_fakes: dict = {}
_fakes_lock = threading.Lock()


def _local_fake(conf: dict, settings):
    """One in-process fake per process, for `wechat.provider = "fake"`."""
    from .fake import FakeWeChat

    with _fakes_lock:
        fake = _fakes.get(conf["appid"])
        if fake is None:
            fake = FakeWeChat(
                conf["appid"],
                conf["secret"],
                templates={conf["reply_template"]},
                pages={settings.wechat.rate_page},
                strict_subscriptions=False,
            )
            fake.serve()
            _fakes[conf["appid"]] = fake
        return fake


def get_client():
    """The app's `StableTokenClient` (one per process; thread-safe for these calls)."""
    from .token_client import StableTokenClient

    app = current_app
    client = app.extensions.get("hcp.wechat")
    if client is None:
        settings = app.config["SETTINGS"]
        if mode(settings) == "not_configured":
            raise WeChatError("unconfigured", None, "wechat.appid and wechat.secret are not set")
        conf = effective(settings)
        base_url = conf["base_url"] or _local_fake(conf, settings).base_url
        client = StableTokenClient(conf["appid"], conf["secret"], base_url, settings.wechat.timeout_seconds)
        app.extensions["hcp.wechat"] = client
    return client
