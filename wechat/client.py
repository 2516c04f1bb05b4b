"""The wechatpy client, made fit for several worker processes.

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

import requests
from flask import current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from core import clock
from models import WxToken

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


class DbTokenStorage:
    """wechatpy's session interface over the shared `WxToken` row."""

    def __init__(self, appid: str):
        self.appid = appid

    def get(self, key, default=None):
        row = WxToken.for_appid(self.appid)
        if row is None or not row.value or row.expires_at is None or row.expires_at - TOKEN_MARGIN <= clock.now():
            return default
        return row.value

    def set(self, key, value, ttl=None):
        expires_at = clock.now() + dt.timedelta(seconds=int(ttl or 7200))
        now = clock.now()
        (
            WxToken.insert(appid=self.appid, value=value, expires_at=expires_at, updated_at=now)
            .on_conflict(
                conflict_target=[WxToken.appid],
                update={WxToken.value: value, WxToken.expires_at: expires_at, WxToken.updated_at: now},
            )
            .execute()
        )

    def delete(self, key):
        WxToken.update(value=None, expires_at=None).where(WxToken.appid == self.appid).execute()

    def may_force(self) -> bool:
        """Claim the forced refresh if none was spent in the last 30 s (one worker wins)."""
        now = clock.now()
        row = WxToken.for_appid(self.appid)
        if row is None:
            return True
        claimed = (
            WxToken.update(forced_at=now)
            .where(
                (WxToken.appid == self.appid)
                & (WxToken.forced_at.is_null() | (WxToken.forced_at <= now - FORCE_SPACING))
            )
            .execute()
        )
        return claimed == 1


class StableTokenClient(WeChatClient):
    """wechatpy's client on stable_token, a shared token row and a base URL of choice."""

    def __init__(self, appid: str, secret: str, base_url: str, timeout: float):
        super().__init__(appid, secret, session=DbTokenStorage(appid), timeout=timeout, auto_retry=False)
        self.base_url = base_url.rstrip("/") + "/"
        self.API_BASE_URL = self.base_url + "cgi-bin/"
        self.wxa.API_BASE_URL = self.base_url
        self._state = threading.local()

    @property
    def access_token(self):
        token = self.session.get(self.access_token_key)
        if token:
            return token
        self.fetch_access_token()
        return self.session.get(self.access_token_key)

    def fetch_access_token(self, force_refresh: bool = False):
        res = self._http.post(
            self.base_url + "cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": force_refresh,
            },
            timeout=self.timeout,
        )
        try:
            res.raise_for_status()
            data = res.json()
        except (requests.RequestException, ValueError):
            raise WeChatClientException(
                None, "stable_token failed", client=self, request=res.request, response=res
            ) from None
        if data.get("errcode"):
            raise WeChatClientException(
                data["errcode"], data.get("errmsg"), client=self, request=res.request, response=res
            )
        self.session.set(self.access_token_key, data["access_token"], data.get("expires_in", 7200))
        log.info("WeChat access token refreshed (force=%s)", force_refresh)
        return data

    def _request(self, method, url_or_endpoint, **kwargs):
        self._state.retried = kwargs.pop("token_retried", False)
        return super()._request(method, url_or_endpoint, **kwargs)

    def _handle_result(self, res, method=None, url=None, result_processor=None, **kwargs):
        result = res if isinstance(res, dict) else self._decode_result(res)
        errcode = _errcode(result)
        if errcode in TOKEN_ERRORS and not getattr(self._state, "retried", False):
            self._refresh_after(kwargs["params"].get("access_token"))
            kwargs["params"]["access_token"] = self.session.get(self.access_token_key)
            return self._request(method, url, result_processor=result_processor, token_retried=True, **kwargs)
        return super()._handle_result(res, method, url, result_processor, **kwargs)

    def _refresh_after(self, rejected: str | None) -> None:
        """A token was refused: take a fresh one; if the server hands back the
        refused one, spend a forced refresh (one worker, every 30 s at most)."""
        self.session.delete(self.access_token_key)
        data = self.fetch_access_token()
        if data.get("access_token") == rejected and self.session.may_force():
            self.fetch_access_token(force_refresh=True)


def _errcode(result) -> int:
    if not isinstance(result, dict):
        return 0
    try:
        return int(result.get("errcode", 0) or 0)
    except (TypeError, ValueError):
        return 0


def call(fn, *args, **kwargs):
    """Run one WeChat call; every failure becomes a `WeChatError`."""
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


def get_client() -> StableTokenClient:
    """The app's client (one per process; thread-safe for these calls)."""
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
