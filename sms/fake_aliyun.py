"""A local fake of Aliyun Dysmsapi (2017-05-25) for tests and local runs.

It checks the SDK's RPC signature (HMAC-SHA1 over the canonical query),
answers SendSms and QuerySendDetails with Aliyun's response shapes and error
codes, can be told to fail, and posts SmsUp / SmsReport callbacks the way
Aliyun does (a JSON array, POST, UTF-8).

    python -m sms.fake_aliyun --port 8765 --access-key-id fake --access-key-secret fake-secret \\
        --callback-base http://127.0.0.1:5000/sms/aliyun/<callback_token>

Control endpoints for manual runs: `POST /__fake/up {"phone", "content"}`
makes the fake post an SmsUp reply; `GET /__fake/sent` lists what was sent.
"""

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qsl
from urllib.parse import quote
from urllib.parse import urlsplit

from core import clock

_PHONE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_URL = re.compile(r"(https?://|www\.)", re.I)
DEFAULT_TEMPLATES = {
    "SMS_000000001": ("dept", "item", "code"),
    "SMS_000000002": ("item", "code"),
    "SMS_000000003": ("content",),
    "SMS_000000004": ("code",),  # the verification-code template (验证码): one-time codes
}


def _pct(value) -> str:
    return quote(str(value), safe="-_.~")


def rpc_signature(method: str, params: dict, secret: str) -> str:
    canon = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_pct('/')}&{_pct(canon)}"
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


class FakeAliyun:
    """The fake's state; `serve()` starts it on 127.0.0.1 in a thread."""

    def __init__(self, access_key_id="fake-ak", access_key_secret="fake-secret", templates=None):  # noqa: S107
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_names = {"鄠邑政务服务"}
        self.templates = dict(templates or DEFAULT_TEMPLATES)
        self.sent: list[dict] = []  # accepted SendSms calls
        self.requests: list[dict] = []  # every call, accepted or not
        self._failures: list[tuple] = []
        self._lock = threading.Lock()
        self._biz = itertools.count(900619746936498440)
        self.callback_base: str | None = None
        self.auto_report = False
        self.server = None

    # -- control -----------------------------------------------------------
    def fail_next(self, code: str, message: str = "", status: int = 200, times: int = 1):
        """The next `times` SendSms calls answer `code` (with HTTP `status`)."""
        with self._lock:
            self._failures.extend([{"code": code, "message": message or code, "status": status}] * times)

    def slow_next(self, seconds: float, times: int = 1):
        """The next SendSms calls are accepted, then answered after `seconds`:
        past the client's read timeout, the answer is lost."""
        with self._lock:
            self._failures.extend([{"slow": seconds}] * times)

    def serve(self, port: int = 0):
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- callbacks, as Aliyun posts them ------------------------------------
    def up_item(self, phone, content, sequence_id=None, old_shape=False, at=None) -> dict:
        item = {
            "phone_number": phone,
            "content": content,
            "send_time": (at or clock.now()).strftime("%Y-%m-%d %H:%M:%S"),
            "dest_code": "1234",
            "sequence_id": sequence_id if sequence_id is not None else str(uuid.uuid4().int % 10**12),
        }
        if old_shape:  # the older doc: numeric sequence_id and a sign_name
            item["sequence_id"] = int(item["sequence_id"])
            item["sign_name"] = next(iter(self.sign_names))
        return item

    def report_item(self, sent: dict, success=True, err_code="DELIVERED", err_msg="用户接收成功") -> dict:
        now = clock.now().strftime("%Y-%m-%d %H:%M:%S")
        return {
            "phone_number": sent["phone"],
            "send_time": sent["send_time"],
            "report_time": now,
            "success": success,
            "err_code": err_code,
            "err_msg": err_msg,
            "sms_size": "1",
            "biz_id": sent["biz_id"],
            "out_id": sent["out_id"],
        }

    def post(self, url: str, items: list) -> tuple[int, dict]:
        if not url.startswith(("http://", "https://")):
            raise ValueError("callback URLs are http(s)")
        body = json.dumps(items, ensure_ascii=False).encode()
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=5) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def post_up(self, url, phone, content, **kw):
        return self.post(url, [self.up_item(phone, content, **kw)])

    def post_report(self, url, sent, **kw):
        return self.post(url, [self.report_item(sent, **kw)])

    # -- the API -------------------------------------------------------------
    def handle(self, method: str, query: str, body: bytes) -> tuple[int, dict]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        if body:
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        request_id = str(uuid.uuid4()).upper()
        with self._lock:
            self.requests.append(params)
        problem = self._check_auth(method, params)
        if problem:
            status, code, message = problem
            return status, {"RequestId": request_id, "Code": code, "Message": message, "HostId": "dysmsapi"}
        action = params.get("Action")
        if action == "SendSms":
            return 200, {"RequestId": request_id, **self._send(params)}
        if action == "QuerySendDetails":
            return 200, {"RequestId": request_id, **self._query(params)}
        return 404, {"RequestId": request_id, "Code": "InvalidAction.NotFound", "Message": f"{action} not found"}

    def _check_auth(self, method, params):
        for key in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Version"):
            if not params.get(key):
                return 400, f"Missing{key}", f"{key} is mandatory for this action."
        if params.get("Version") != "2017-05-25":
            return 400, "InvalidVersion", "Specified parameter Version is not valid."
        if params["AccessKeyId"] != self.access_key_id:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        try:
            stamp = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return 400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
        if abs((dt.datetime.utcnow() - stamp).total_seconds()) > 900:
            return 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        expected = rpc_signature(method, unsigned, self.access_key_secret)
        if not hmac.compare_digest(expected, params["Signature"]):
            canon = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(unsigned.items()))
            to_sign = f"{method}&{_pct('/')}&{_pct(canon)}"
            # Aliyun appends its string-to-sign; the SDK compares it with its own.
            message = f"Specified signature is not matched with our calculation. server string to sign is:{to_sign}"
            return 400, "SignatureDoesNotMatch", message
        return None

    def _send(self, params) -> dict:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None and "code" in failure:
            if failure["status"] != 200:
                raise _HttpFailure(failure["status"], {"Code": failure["code"], "Message": failure["message"]})
            return {"Code": failure["code"], "Message": failure["message"]}
        phones = params.get("PhoneNumbers", "")
        if not phones:
            return {"Code": "MissingPhoneNumbers", "Message": "PhoneNumbers is mandatory for this action."}
        match = _PHONE.match(phones)
        if "," not in phones and not match:
            return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        if params.get("SignName") not in self.sign_names:
            return {"Code": "isv.SMS_SIGN_ILLEGAL", "Message": "该账号下找不到对应签名"}
        template = self.templates.get(params.get("TemplateCode"))
        if template is None:
            return {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板"}
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法，只接受字符串值"}
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            return {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法，只接受字符串值"}
        missing = [name for name in template if name not in values]
        if missing:
            return {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板缺少变量"}
        if any(_URL.search(v) for v in values.values()):
            return {"Code": "isv.PARAM_NOT_SUPPORT_URL", "Message": "不支持url为变量"}
        if any(len(v) > 35 and name != "content" for name, v in values.items()):
            return {"Code": "isv.PARAM_LENGTH_LIMIT", "Message": "参数超出长度限制"}
        biz_id = f"{next(self._biz)}^0"
        record = {
            "phone": match.group(1),
            "sign_name": params["SignName"],
            "template_code": params["TemplateCode"],
            "params": values,
            "out_id": params.get("OutId", ""),
            "biz_id": biz_id,
            # Aliyun keeps Beijing time; in-process, the fake shares the product's clock.
            "send_time": clock.now().strftime("%Y-%m-%d %H:%M:%S"),
            "send_date": clock.now().strftime("%Y%m%d"),
            # What QuerySendDetails reports: 1 waiting, 2 failed, 3 delivered.
            "status": 3,
            "err_code": "DELIVERED",
        }
        with self._lock:
            self.sent.append(record)
        if failure is not None:  # accepted, then the answer is lost (the client times out)
            time.sleep(failure["slow"])
        if self.auto_report and self.callback_base:
            url = self.callback_base + "/report"
            threading.Thread(target=self.post_report, args=(url, record), daemon=True).start()
        return {"Code": "OK", "Message": "OK", "BizId": biz_id}

    def _query(self, params) -> dict:
        phone = params.get("PhoneNumber", "")
        day = params.get("SendDate", "")
        if not _PHONE.match(phone):
            return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        with self._lock:
            rows = [r for r in self.sent if r["phone"] == phone and r["send_date"] == day]
        details = [
            {
                "PhoneNum": r["phone"],
                "SendStatus": r["status"],
                "ErrCode": r["err_code"],
                "TemplateCode": r["template_code"],
                "Content": f"【{r['sign_name']}】" + json.dumps(r["params"], ensure_ascii=False),
                "SendDate": r["send_time"],
                "ReceiveDate": r["send_time"],
                "OutId": r["out_id"],
            }
            for r in rows
        ]
        return {
            "Code": "OK",
            "Message": "OK",
            "TotalCount": len(details),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }


class _HttpFailure(Exception):
    def __init__(self, status, body):
        self.status, self.body = status, body


def _handler(fake: FakeAliyun):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes: without TCP_NODELAY the second waits
        # for the client's delayed ACK (40 ms per call on Linux).
        disable_nagle_algorithm = True

        def log_message(self, *args):  # quiet: tests and local runs
            return

        def _answer(self, status: int, body: dict):
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            if parts.path == "/__fake/sent":
                return self._answer(200, {"sent": fake.sent})
            self._api("GET", parts.query, b"")

        def do_POST(self):  # noqa: N802
            parts = urlsplit(self.path)
            body = self._body()
            if parts.path == "/__fake/up":
                data = json.loads(body or b"{}")
                if not fake.callback_base:
                    return self._answer(409, {"error": "start the fake with --callback-base"})
                status, answer = fake.post_up(fake.callback_base + "/up", data["phone"], data["content"])
                return self._answer(200, {"status": status, "answer": answer})
            self._api("POST", parts.query, body)

        def _api(self, method, query, body):
            try:
                status, answer = fake.handle(method, query, body)
            except _HttpFailure as exc:
                status, answer = exc.status, {"RequestId": str(uuid.uuid4()).upper(), **exc.body}
            self._answer(status, answer)

    return Handler


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="A local fake of Aliyun Dysmsapi")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-key-id", default="fake-ak")
    parser.add_argument("--access-key-secret", default="fake-secret")
    parser.add_argument("--callback-base", help="http://127.0.0.1:5000/sms/aliyun/<callback_token>")
    parser.add_argument("--no-reports", action="store_true", help="do not post a delivery report per SMS")
    args = parser.parse_args(argv)
    fake = FakeAliyun(args.access_key_id, args.access_key_secret)
    fake.callback_base = args.callback_base.rstrip("/") if args.callback_base else None
    fake.auto_report = not args.no_reports
    fake.serve(args.port)
    print(f"fake Aliyun Dysmsapi on http://{fake.endpoint} (access key id {args.access_key_id})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
