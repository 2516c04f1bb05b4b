"""wechatpy's client on stable_token and a token row every worker shares (see wechat/client.py,
which imports this module at the first WeChat call)."""

import datetime as dt
import logging
import threading

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from core import clock
from models import WxToken

from .client import FORCE_SPACING
from .client import TOKEN_ERRORS
from .client import TOKEN_MARGIN

log = logging.getLogger("wechat.client")


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
