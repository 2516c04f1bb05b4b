"""A local stand-in for the city 好差评 system, speaking the default profile.

    python -m upstream.simulator --port 8700 [--fail-rate 0.3] [--delay 0.5] [--drop-rate 0.1]

It checks the signature (method, app id and secret from `[upstream]` of the
configuration, or the options), the timestamp window and nonce reuse, and every
field of every record; it stores each `evalId` once and answers a duplicate as
accepted without storing it again. A record may be corrected: a delivery of a
stored `evalId` with a higher `changeNo` replaces it (an update: `effective` 0
with `invalidReason` for an approved appeal, 1 again for a rejected or reversed
one), a lower or equal one changes nothing; its figures (`GET /_sim/figures`)
count only the effective first ratings, as the city's would. Failure injection: a share of requests get
a 503 before anything is stored (`fail_rate`), answers are delayed by up to
`delay` seconds after storing, and a share of answers are dropped after
storing (`drop_rate`: the connection is closed without a reply).

Endpoints: `POST /push` (also `/`), `GET /query?date=YYYY-MM-DD` (对账), and
for tests, the demo and the benchmark `GET /_sim/records`, `GET /_sim/stats` (how many
records it holds, without them), `GET /_sim/eval-ids`, `GET /_sim/figures`, `POST /_sim/config`,
`POST /_sim/reset`. The 对账 answer lists each held evalId's `effective` too.
"""

import argparse
import datetime as dt
import json
import logging
import random
import re
import socket
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from core.loglines import RequestHandler
from core.loglines import beijing_time

from .profile import TIME_FORMAT
from .signing import SignatureError
from .signing import Signer

TIMESTAMP_WINDOW = 300
MAX_RECORDS = 500
REQUIRED = ("evalId", "deptCode", "deptName", "areaCode", "assessTime", "dataSource")
_AREA = re.compile(r"^\d{6,12}$")


def validate(record) -> str | None:
    """The city's field checks; a reason (Chinese) when the record is refused."""
    if not isinstance(record, dict):
        return "记录不是对象"
    for name in REQUIRED:
        if not isinstance(record.get(name), str) or not record[name].strip():
            return f"{name} 缺失"
    if not _AREA.match(record["areaCode"]):
        return "areaCode 不是行政区划代码"
    if record.get("pf") not in (1, 2, 3, 4, 5, 6, 7):
        return "pf 评价渠道代码无效"
    if record.get("satisfaction") not in (1, 2, 3, 4, 5):
        return "satisfaction 满意度代码无效"
    if record.get("assessNumber") not in (1, 2):
        return "assessNumber 评价次数无效"
    try:
        dt.datetime.strptime(record["assessTime"], TIME_FORMAT)
    except ValueError:
        return "assessTime 格式应为 yyyy-MM-dd HH:mm:ss"
    if record["assessNumber"] == 2 and not record.get("projectNo"):
        return "追评必须有办件编号 projectNo"
    for name in ("projectNo", "taskCode", "taskName", "evalDetail", "writingEvaluation"):
        if not isinstance(record.get(name, ""), str):
            return f"{name} 必须是字符串"
    detail = record.get("evalDetail", "")
    if detail and not all(code.strip() for code in detail.split(",")):
        return "evalDetail 标签代码格式错误"
    if record.get("effective", 1) not in (0, 1) or isinstance(record.get("effective"), bool):
        return "effective 有效标识应为 1 或 0"
    if record.get("effective") == 0 and not (
        isinstance(record.get("invalidReason"), str) and record["invalidReason"].strip()
    ):
        return "effective 为 0 时须说明 invalidReason"
    change = record.get("changeNo", 0)
    if isinstance(change, bool) or not isinstance(change, int) or change < 0:
        return "changeNo 变更序号应为非负整数"
    return None


def _change_no(record: dict) -> int:
    return record.get("changeNo", 0)


def figures(records) -> dict:
    """The city's figures by deptCode: effective first ratings by satisfaction, and 好评率
    (levels 5, 4, 3 of all rated: the seed's 好评), percentages with two decimals."""
    found: dict = {}
    for record in records:
        if record.get("effective", 1) != 1 or record.get("assessNumber") != 1:
            continue
        dept = found.setdefault(record["deptCode"], {"rated": 0, "levels": {str(n): 0 for n in range(5, 0, -1)}})
        dept["rated"] += 1
        dept["levels"][str(record["satisfaction"])] += 1
    for dept in found.values():
        good = sum(dept["levels"][level] for level in ("5", "4", "3"))
        dept["good_rate"] = round(100 * good / dept["rated"], 2)
    return found


class Simulator:
    def __init__(
        self, signer: Signer, fail_rate=0.0, delay=0.0, drop_rate=0.0, known_depts=None, reject_depts=(), seed=None
    ):
        self.signer = signer
        self.fail_rate, self.delay, self.drop_rate = fail_rate, delay, drop_rate
        # When set, only these deptCodes are known to the city; any other is refused.
        self.known_depts = set(known_depts) if known_depts else None
        self.reject_depts = set(reject_depts)
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.records: dict[str, dict] = {}
            self.nonces: dict[str, float] = {}
            self.stats = {
                "requests": 0,
                "received": 0,
                "duplicates": 0,
                "rejected": 0,
                "failed": 0,
                "dropped": 0,
                "bad_signature": 0,
                "in_flight": 0,
                "updates": 0,
                "stale": 0,
            }

    def configure(self, **knobs) -> None:
        with self.lock:
            for name in ("fail_rate", "delay", "drop_rate"):
                if name in knobs:
                    setattr(self, name, float(knobs[name]))
            if "known_depts" in knobs:
                self.known_depts = set(knobs["known_depts"]) if knobs["known_depts"] else None
            if "reject_depts" in knobs:
                self.reject_depts = set(knobs["reject_depts"] or ())

    # -- WSGI -------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_sim/"):
            response = self._control(request)
        elif request.method == "POST" and request.path in ("/", "/push"):
            response = self._push(request, environ)
        elif request.method == "GET" and request.path == "/query":
            response = self._query(request)
        else:
            response = _json({"code": "404", "message": "无此接口"}, 404)
        if response is None:  # the answer is dropped: close the connection without a reply
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            response = Response(b"", status=500)
        return response(environ, start_response)

    def _authenticate(self, request: Request, body: bytes) -> str | None:
        headers = request.headers
        stamp, nonce, signature = headers.get("X-Timestamp", ""), headers.get("X-Nonce", ""), headers.get("X-Signature")
        if headers.get("X-App-Id") != self.signer.app_id:
            return "X-App-Id 未知"
        if not (stamp.isascii() and stamp.isdigit()) or abs(time.time() - int(stamp)) > TIMESTAMP_WINDOW:
            return "X-Timestamp 超出允许的时间窗口"
        if not nonce or not signature or not self.signer.check(stamp, nonce, body, signature):
            return "签名校验失败"
        with self.lock:
            now = time.time()
            # Nonces are kept in arrival order: forget the expired ones from the front.
            while self.nonces:
                oldest, seen = next(iter(self.nonces.items()))
                if now - seen < TIMESTAMP_WINDOW:
                    break
                del self.nonces[oldest]
            if nonce in self.nonces:
                return "X-Nonce 重复（重放）"
            self.nonces[nonce] = now
        return None

    def _push(self, request: Request, environ):
        body = request.get_data()
        with self.lock:
            self.stats["requests"] += 1
        problem = self._authenticate(request, body)
        if problem:
            with self.lock:
                self.stats["bad_signature"] += 1
            return _json({"code": "401", "message": problem}, 401)
        try:
            payload = self.signer.decode_body(body)
        except SignatureError as exc:
            return _json({"code": "400", "message": str(exc)}, 400)
        records = payload.get("records") if isinstance(payload, dict) else None
        if not isinstance(records, list) or not records or len(records) > MAX_RECORDS:
            return _json({"code": "400", "message": f"records 必须是 1 到 {MAX_RECORDS} 条记录的数组"}, 400)
        if self.random.random() < self.fail_rate:
            with self.lock:
                self.stats["failed"] += 1
            return _json({"code": "503", "message": "系统繁忙"}, 503)
        accepted, rejected = [], []
        with self.lock:
            self.stats["in_flight"] += 1
            for record in records:
                eval_id = record.get("evalId") if isinstance(record, dict) else None
                reason = validate(record) or self._dept_problem(record)
                if reason:
                    rejected.append({"evalId": eval_id, "reason": reason})
                    self.stats["rejected"] += 1
                    continue
                self.stats["received"] += 1
                held = self.records.get(eval_id)
                if held is None:
                    self.records[eval_id] = dict(record, _received_at=time.time(), _updates=0)
                elif _change_no(record) > _change_no(held):
                    # A correction (an appeal decided): the latest change is what the city keeps.
                    self.records[eval_id] = dict(
                        record, _received_at=held["_received_at"], _updates=held["_updates"] + 1
                    )
                    self.stats["updates"] += 1
                elif _change_no(record) == _change_no(held):
                    self.stats["duplicates"] += 1
                else:
                    self.stats["stale"] += 1  # an older change arriving late: the newer one stands
                accepted.append(eval_id)
            drop = self.random.random() < self.drop_rate
            delay = self.random.uniform(self.delay / 2, self.delay) if self.delay else 0
        try:
            if delay:
                time.sleep(delay)
            if drop:
                with self.lock:
                    self.stats["dropped"] += 1
                return None
            return _json({"code": "200", "accepted": accepted, "rejected": rejected})
        finally:
            with self.lock:
                self.stats["in_flight"] -= 1

    def _dept_problem(self, record) -> str | None:
        code = record["deptCode"]
        if code in self.reject_depts or (self.known_depts is not None and code not in self.known_depts):
            return f"deptCode {code} 不在本市部门目录中"
        return None

    def _query(self, request: Request):
        problem = self._authenticate(request, b"")
        if problem:
            return _json({"code": "401", "message": problem}, 401)
        if self.random.random() < self.fail_rate:
            with self.lock:
                self.stats["failed"] += 1
            return _json({"code": "503", "message": "系统繁忙"}, 503)
        day = request.args.get("date", "")
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            return _json({"code": "400", "message": "date 格式应为 YYYY-MM-DD"}, 400)
        with self.lock:
            held = {e: r for e, r in self.records.items() if r["assessTime"].startswith(day)}
            ids = sorted(held)
            effective = {e: held[e].get("effective", 1) for e in ids}
        return _json({"code": "200", "date": day, "evalIds": ids, "effective": effective})

    def _control(self, request: Request):
        if request.path == "/_sim/records" and request.method == "GET":
            with self.lock:
                return _json({"records": list(self.records.values()), "stats": dict(self.stats)})
        if request.path == "/_sim/stats" and request.method == "GET":
            with self.lock:
                return _json({"count": len(self.records), "stats": dict(self.stats)})
        if request.path == "/_sim/figures" and request.method == "GET":
            with self.lock:
                return _json({"departments": figures(self.records.values())})
        if request.path == "/_sim/eval-ids" and request.method == "GET":
            with self.lock:
                return _json({"evalIds": list(self.records)})
        if request.path == "/_sim/reset" and request.method == "POST":
            self.reset()
            return _json({"ok": True})
        if request.path == "/_sim/config" and request.method == "POST":
            knobs = request.get_json(silent=True)
            if not isinstance(knobs, dict):
                return _json({"message": "需要 JSON 对象"}, 400)
            self.configure(**knobs)
            return _json({"ok": True})
        return _json({"message": "无此接口"}, 404)

    def forget(self, eval_id: str) -> None:
        """Lose a record, as a city system that lost data would (for reconciliation tests)."""
        with self.lock:
            self.records.pop(eval_id, None)


def _json(data, status=200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")


class Server:
    """The simulator on 127.0.0.1 in a thread (tests); `url` is its push endpoint."""

    def __init__(self, simulator: Simulator, port: int = 0):
        self.simulator = simulator
        self.httpd = make_server("127.0.0.1", port, simulator, threaded=True, request_handler=RequestHandler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    @property
    def url(self) -> str:
        return self.base + "/push"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def main(argv=None) -> None:
    from core import config

    up = config.load().upstream
    parser = argparse.ArgumentParser(description="本地模拟的市级好差评系统（默认接口规范）")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--app-id", default=up.app_id)
    parser.add_argument("--app-secret", default=up.app_secret)
    parser.add_argument("--signing", default=up.signing)
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of requests answered 503")
    parser.add_argument("--delay", type=float, default=0.0, help="answers delayed by up to this many seconds")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of answers dropped after storing")
    parser.add_argument("--known-dept", action="append", default=[], help="deptCode the city knows (repeatable)")
    args = parser.parse_args(argv)
    # Its log is a file beside the app's (bin/serve): plain lines in Beijing time.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.formatter.converter = beijing_time
    signer = Signer(args.signing, args.app_id, args.app_secret, up.sm2_private_key, up.sm2_public_key, up.sm4_key)
    simulator = Simulator(signer, args.fail_rate, args.delay, args.drop_rate, args.known_dept or None)
    server = Server(simulator, args.port)
    print(f"upstream simulator on {server.url} (对账: {server.query_url}, app_id={args.app_id!r})", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
