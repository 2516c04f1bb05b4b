"""Providers: Aliyun Dysmsapi through aliyun-python-sdk-core, or `console`,
which records the SMS (the SmsMessage row) and sends nothing.

`send()` never raises for a provider answer; it returns an `Outcome` that
the sender turns into sent / retry later / failed / ask-before-resending.
"""

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core.codes import mask_phone

if TYPE_CHECKING:
    from aliyunsdkcore.request import CommonRequest

log = logging.getLogger(__name__)
# The SDK logs every request's parameters (the phone number) at DEBUG.
logging.getLogger("aliyunsdkcore").setLevel(logging.INFO)
# The SDK (13 MB of memory) is imported by the first AliyunProvider, not by every web worker.

# Aliyun codes after which the same request may succeed later (per-number or
# account flow control, platform trouble, an exhausted balance staff can top up).
TRANSIENT_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.MONTH_LIMIT_CONTROL",
    "isv.OUT_OF_SERVICE",
    "isp.SYSTEM_ERROR",
    "Throttling.User",
    "Throttling",
    "ServiceUnavailable",
    "InternalError",
    # The account, not the message: staff fix the keys or permissions and the
    # backlog leaves.
    "isv.DENY_IP_RANGE",
    "isp.RAM_PERMISSION_DENY",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeySecret",
    "SignatureDoesNotMatch",
}
ACCOUNT_CODES = {
    "isv.MONTH_LIMIT_CONTROL",
    "isv.OUT_OF_SERVICE",
    "isv.DENY_IP_RANGE",
    "isp.RAM_PERMISSION_DENY",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeySecret",
    "SignatureDoesNotMatch",
}
# Codes after which the provider may or may not have accepted the message.
AMBIGUOUS_CODES = {"isp.SYSTEM_ERROR"}
PERMANENT_CODES = {
    "isv.MOBILE_NUMBER_ILLEGAL",
    "isv.MOBILE_COUNT_OVER_LIMIT",
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
    "isv.PARAM_LENGTH_LIMIT",
    "isv.TEMPLATE_PARAMS_ILLEGAL",
    "isv.PARAM_NOT_SUPPORT_URL",
    "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
    "isv.SIGN_STATE_ILLEGAL",
    "isv.SMS_SIGN_ILLEGAL",
    "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_CONTENT_ILLEGAL",
    "isv.EXTEND_CODE_ERROR",
    "MissingPhoneNumbers",
    "MissingSignName",
    "MissingTemplateCode",
}


@dataclass
class Outcome:
    status: str  # "ok" | "transient" | "permanent" | "unknown"
    code: str = ""
    message: str = ""
    biz_id: str | None = None


@dataclass
class Found:
    """A QuerySendDetails answer about one earlier attempt."""

    status: str  # "sent" | "absent" | "error"
    biz_id: str | None = None
    message: str = ""


class ConsoleProvider:
    name = "console"

    def send(self, phone, sign_name, template_code, params, out_id) -> Outcome:
        log.info("console SMS to %s, template %s, out_id %s", mask_phone(phone), template_code, out_id)
        return Outcome("ok", "OK", "OK", biz_id=f"console-{out_id}")

    def find(self, phone, day, out_id, template_code) -> Found:
        return Found("absent")

    def details(self, phone, day) -> list[dict]:
        return []

    def close(self) -> None:
        return None


class AliyunProvider:
    name = "aliyun"

    def __init__(self, settings):
        from aliyunsdkcore.client import AcsClient

        self.settings = settings
        host = urlsplit("//" + settings.endpoint).hostname or ""
        # The SDK honours HTTP(S)_PROXY but ignores NO_PROXY: a loopback
        # endpoint (the local fake) must never go through a proxy.
        proxy = {"http": None, "https": None} if host in ("127.0.0.1", "localhost", "::1") else None
        self.client = AcsClient(
            settings.access_key_id,
            settings.access_key_secret,
            settings.region_id,
            auto_retry=False,
            max_retry_time=0,
            connect_timeout=settings.connect_timeout_seconds,
            timeout=settings.read_timeout_seconds,
            proxy=proxy,
        )

    def close(self) -> None:
        """Release the SDK's pooled connections (one client per job run)."""
        self.client.session.close()

    def _request(self, action: str, **params) -> "CommonRequest":
        from aliyunsdkcore.request import CommonRequest

        req = CommonRequest(domain=self.settings.endpoint, version="2017-05-25", action_name=action)
        req.set_method("POST")
        req.set_protocol_type(self.settings.protocol)
        req.set_accept_format("json")
        req.set_connect_timeout(self.settings.connect_timeout_seconds)
        req.set_read_timeout(self.settings.read_timeout_seconds)
        for key, value in params.items():
            req.add_query_param(key, str(value))
        return req

    def _call(self, req: "CommonRequest") -> tuple[dict | None, Outcome | None]:
        from aliyunsdkcore.acs_exception.exceptions import ClientException
        from aliyunsdkcore.acs_exception.exceptions import ServerException

        try:
            raw = self.client.do_action_with_exception(req)
        except ServerException as exc:
            code, message = exc.get_error_code() or "", exc.get_error_msg() or ""
            status = exc.get_http_status() or 0
            if code in PERMANENT_CODES:
                return None, Outcome("permanent", code, message)
            if code in ("SignatureDoesNotMatch", "InvalidAccessKeySecret"):
                message = "AccessKey 签名校验失败，请检查 sms.aliyun.access_key_secret"  # not the string-to-sign
            if status >= 500 and code not in TRANSIENT_CODES:
                return None, Outcome("unknown", code or f"HTTP{status}", message)
            return None, Outcome("transient", code or f"HTTP{status}", message)
        except ClientException as exc:
            # A timeout or a dropped connection: the provider may have accepted it.
            text = _network_text(exc.get_error_msg())
            # A refused connection never reached Aliyun: plainly retry later.
            status = "transient" if text == "无法连接短信服务商" else "unknown"
            return None, Outcome(status, exc.get_error_code() or "SDK.HttpError", text)
        except Exception as exc:  # the SDK's own failures must not lose a message either
            log.exception("aliyun SDK failed on %s", req.get_action_name())
            return None, Outcome("unknown", "SDK.Error", type(exc).__name__)
        try:
            return json.loads(raw), None
        except (TypeError, ValueError):
            return None, Outcome("unknown", "BadResponse", "服务商返回了无法解析的应答")

    def send(self, phone, sign_name, template_code, params, out_id) -> Outcome:
        req = self._request(
            "SendSms",
            PhoneNumbers=phone,
            SignName=sign_name,
            TemplateCode=template_code,
            TemplateParam=json.dumps(params, ensure_ascii=False),
            OutId=out_id,
        )
        body, failure = self._call(req)
        if failure is not None:
            return failure
        code, message = str(body.get("Code", "")), str(body.get("Message", ""))
        if code == "OK":
            return Outcome("ok", code, message, biz_id=body.get("BizId"))
        if code in AMBIGUOUS_CODES:
            return Outcome("unknown", code, message)
        if code in TRANSIENT_CODES:
            return Outcome("transient", code, message)
        return Outcome("permanent", code, message)

    def details(self, phone, day) -> list[dict] | str:
        """QuerySendDetails for one number and day: the records, or an error text."""
        req = self._request("QuerySendDetails", PhoneNumber=phone, SendDate=day.strftime("%Y%m%d"), PageSize=50)
        req.add_query_param("CurrentPage", "1")
        body, failure = self._call(req)
        if failure is not None:
            return f"{failure.code} {failure.message}".strip()
        if body.get("Code") != "OK":
            return f"{body.get('Code')} {body.get('Message')}"
        return (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []

    def find(self, phone, day, out_id, template_code) -> Found:
        """Ask whether an attempt whose answer was lost reached Aliyun."""
        details = self.details(phone, day)
        if isinstance(details, str):
            return Found("error", message=details)
        for item in details:
            if str(item.get("OutId")) == out_id and item.get("TemplateCode") == template_code:
                return Found("sent", biz_id=item.get("BizId"))
        return Found("absent")


def _network_text(message: str | None) -> str:
    """A short reason for staff; the SDK's text carries the URL and so the phone number."""
    message = message or ""
    if "timed out" in message.lower():
        return "服务商应答超时，短信可能已发出，重发前将先查询发送记录"
    if "refused" in message.lower() or "failed to establish" in message.lower():
        return "无法连接短信服务商"
    return "与短信服务商的网络通信失败"


def make_provider(sms_settings):
    if sms_settings.provider == "aliyun":
        return AliyunProvider(sms_settings.aliyun)
    return ConsoleProvider()
