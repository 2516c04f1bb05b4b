"""A local fake of the WeChat server API, speaking its HTTP protocol.

Used by the tests (wechatpy talks to it over real HTTP) and by local runs
(`wechat.provider = "fake"` starts one in the process). Routes and shapes
follow the vendor reference (C.9):

  GET  /cgi-bin/token                     POST /cgi-bin/stable_token
  GET  /sns/jscode2session                POST /cgi-bin/message/subscribe/send
  POST /wxa/getwxacodeunlimit (a real PNG, JSON on error)

Tokens are HMAC-signed with the fake's key, so several processes running a
fake with the same appid and secret accept each other's tokens, as the real
server does. A `wx.login()` code is any string; the part before the first
"." names the user (codes "alice.1" and "alice.2" are the same openid), and
each code works once. Fake-only control routes live under `/_fake/`.
"""

import hashlib
import hmac
import io
import json
import re
import threading
import time

import segno
from flask import Flask
from flask import Response
from flask import request
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
TOKEN_TTL = 7200
# Keyword rules of subscribe-message data (订阅消息参数值内容限制).
KEYWORD_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "name": 10, "time": 32}


class _QuietHandler(WSGIRequestHandler):
    """No access log: the fake's query strings carry its secret and tokens."""

    def log_request(self, *args, **kwargs):
        pass


class FakeWeChat:
    """The fake's state; `serve()` runs it on 127.0.0.1 and an ephemeral port."""

    def __init__(self, appid: str, secret: str, *, templates=(), pages=(), strict_subscriptions: bool = True):
        self.appid, self.secret = appid, secret
        self.templates = set(templates)
        self.pages = set(pages)  # published pages; check_path=false allows others
        self.strict_subscriptions = strict_subscriptions
        self.lock = threading.Lock()
        self.generation = 0  # bumped by expire_tokens(): older tokens get 42001
        self.generation_started = int(time.time())
        self.reject_tokens = False  # every token is refused with 40001
        self.used_codes: set[str] = set()
        self.openids: set[str] = set()
        self.grants: dict[tuple[str, str], int] = {}
        self.sent: list[dict] = []
        self.failures: dict[str, list[int]] = {}
        self.calls: dict[str, int] = {}
        self.forced = 0
        self.app = self._build_app()
        self._server = None

    # -- control (tests and /_fake/) -------------------------------------
    def fail_next(self, route: str, errcode: int, times: int = 1) -> None:
        """The next `times` calls of `route` answer `errcode`."""
        with self.lock:
            self.failures.setdefault(route, []).extend([errcode] * times)

    def expire_tokens(self) -> None:
        with self.lock:
            self._next_generation()

    def _next_generation(self) -> None:
        self.generation += 1
        self.generation_started = int(time.time())

    def grant(self, openid: str, template_id: str, count: int = 1) -> None:
        """The user tapped "accept" `count` times in wx.requestSubscribeMessage."""
        with self.lock:
            key = (openid, template_id)
            self.grants[key] = self.grants.get(key, 0) + count

    @staticmethod
    def openid_for(code: str) -> str:
        user = code.split(".", 1)[0]
        return "o" + hashlib.sha256(user.encode()).hexdigest()[:27]

    # -- serving ------------------------------------------------------------
    def serve(self) -> str:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
        thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-wechat", daemon=True)
        thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- protocol -----------------------------------------------------------
    def _token(self) -> str:
        # The same token while it is valid, as stable_token's normal mode does;
        # a new one in the last five minutes of the old one's life.
        if int(time.time()) > self.generation_started + TOKEN_TTL - 300:
            self._next_generation()
        expires = self.generation_started + TOKEN_TTL
        body = f"{self.appid}.{self.generation}.{expires}"
        mac = hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{body}.{mac}"

    def _expires_in(self) -> int:
        return max(300, self.generation_started + TOKEN_TTL - int(time.time()))

    def _token_error(self, token: str | None) -> int:
        if self.reject_tokens or not token:
            return 40001 if token else 41001
        parts = token.rsplit(".", 3)
        if len(parts) != 4:
            return 40001
        body = ".".join(parts[:3])
        mac = hmac.new(self.secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, parts[3]) or parts[0] != self.appid:
            return 40001
        if int(parts[1]) != self.generation or int(parts[2]) < time.time():
            return 42001
        return 0

    def _injected(self, route: str) -> int:
        with self.lock:
            self.calls[route] = self.calls.get(route, 0) + 1
            queue = self.failures.get(route)
            return queue.pop(0) if queue else 0

    def _build_app(self) -> Flask:  # noqa: C901 - one small handler per route
        app = Flask("fake_wechat")
        fake = self

        def answer(errcode: int, errmsg: str = "ok", **extra):
            body = {"errcode": errcode, "errmsg": errmsg, **extra}
            return Response(json.dumps(body, ensure_ascii=False), 200, mimetype="application/json")

        def guarded(route: str):
            injected = fake._injected(route)
            if injected:
                return answer(injected, f"injected error {injected}")
            code = fake._token_error(request.args.get("access_token"))
            if code:
                return answer(code, {40001: "invalid credential", 41001: "access_token missing"}.get(code, "expired"))
            return None

        @app.get("/cgi-bin/token")
        def token():
            injected = fake._injected("token")
            if injected:
                return answer(injected, f"injected error {injected}")
            args = request.args
            if args.get("grant_type") != "client_credential":
                return answer(40002, "invalid grant_type")
            if args.get("appid") != fake.appid:
                return answer(40013, "invalid appid")
            if args.get("secret") != fake.secret:
                return answer(40125, "invalid appsecret")
            return Response(json.dumps({"access_token": fake._token(), "expires_in": fake._expires_in()}), 200)

        @app.post("/cgi-bin/stable_token")
        def stable_token():
            injected = fake._injected("stable_token")
            if injected:
                return answer(injected, f"injected error {injected}")
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return answer(47001, "data format error")
            if body.get("appid") != fake.appid:
                return answer(40013, "invalid appid")
            if body.get("secret") != fake.secret:
                return answer(40125, "invalid appsecret")
            with fake.lock:
                if body.get("force_refresh"):
                    fake.forced += 1
                    fake._next_generation()
                    fake.reject_tokens = False
            return Response(json.dumps({"access_token": fake._token(), "expires_in": fake._expires_in()}), 200)

        @app.get("/sns/jscode2session")
        def jscode2session():
            failed = guarded("jscode2session")
            if failed:
                return failed
            args = request.args
            if args.get("appid") != fake.appid or args.get("secret") != fake.secret:
                return answer(40013, "invalid appid")
            code = args.get("js_code", "")
            if not code or len(code) > 128:
                return answer(40029, "invalid code")
            with fake.lock:
                if code in fake.used_codes:
                    return answer(40163, "code been used")
                fake.used_codes.add(code)
                openid = fake.openid_for(code)
                fake.openids.add(openid)
            session_key = hashlib.sha256(f"sk{code}".encode()).hexdigest()[:24]
            return Response(json.dumps({"openid": openid, "session_key": session_key}), 200)

        @app.post("/cgi-bin/message/subscribe/send")
        def subscribe_send():
            failed = guarded("subscribe_send")
            if failed:
                return failed
            body = request.get_json(silent=True, force=True)
            if not isinstance(body, dict):
                return answer(47001, "data format error")
            touser, template_id = body.get("touser"), body.get("template_id")
            if touser not in fake.openids:
                return answer(40003, "invalid openid")
            if template_id not in fake.templates:
                return answer(40037, "invalid template_id")
            data = body.get("data")
            if not isinstance(data, dict) or not data:
                return answer(47003, "argument invalid! data is empty")
            for key, value in data.items():
                kind = key.rstrip("0123456789")
                text = value.get("value") if isinstance(value, dict) else None
                if not isinstance(text, str) or not text or len(text) > KEYWORD_LIMITS.get(kind, 20):
                    return answer(47003, f"argument invalid! data.{key}.value invalid")
            with fake.lock:
                key = (touser, template_id)
                if fake.strict_subscriptions:
                    if fake.grants.get(key, 0) < 1:
                        return answer(43101, "user refuse to accept the msg")
                    fake.grants[key] -= 1
                fake.sent.append(body)
                msgid = len(fake.sent)
            return answer(0, "ok", msgid=msgid)

        @app.post("/wxa/getwxacodeunlimit")
        def getwxacodeunlimit():
            failed = guarded("getwxacodeunlimit")
            if failed:
                return failed
            try:
                body = json.loads(request.get_data() or b"null")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return answer(47001, "data format error")
            scene = body.get("scene")
            if not isinstance(scene, str) or not SCENE.match(scene):
                return answer(40169, "invalid scene")
            page = body.get("page") or ""
            if page.startswith("/") or "?" in page:
                return answer(41030, "invalid page")
            if page and body.get("check_path", True) and page not in fake.pages:
                return answer(41030, "invalid page")
            width = body.get("width", 430)
            if not isinstance(width, int) or not 280 <= width <= 1280:
                width = 430
            qr = segno.make(f"https://mp.weixin.qq.com/a/{fake.appid}?page={page}&scene={scene}", error="m")
            out = io.BytesIO()
            qr.save(out, kind="png", scale=max(1, width // (qr.symbol_size()[0])), border=2)
            return Response(out.getvalue(), 200, mimetype="image/png")

        @app.post("/_fake/grant")
        def fake_grant():
            body = request.get_json(silent=True) or {}
            fake.grant(str(body.get("openid")), str(body.get("template_id")), int(body.get("count", 1)))
            return answer(0)

        @app.get("/_fake/sent")
        def fake_sent():
            return Response(json.dumps(fake.sent, ensure_ascii=False), 200, mimetype="application/json")

        return app
