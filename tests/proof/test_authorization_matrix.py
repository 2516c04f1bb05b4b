"""Every non-admin route × every kind of caller × own and foreign data.

Callers: anonymous, each admin role (a logged-in session), each department's API
key, two mini-program users. "Own" data belongs to the police department (or to
the wx user alice); "foreign" to the social department (or bob). The admin routes
themselves are covered role by role in tests/admin/test_authorization.py; here they
are tried with the credentials of the other channels, which must not open them.
"""

import re

import pytest

from cases.intake import upsert_case
from models import db

from .conftest import CALLBACK_TOKEN

ADMIN_ROLES = ("bureau", "police_admin", "police_staff", "social_admin", "auditor")
CALLERS = ("anonymous", *ADMIN_ROLES, "key:police", "key:social", "wx:alice", "wx:bob")
TOTAL = [0]  # requests tried over the whole module (reported by the last test)
SMS_UP = [{"phone_number": "13800138000", "content": "5", "sequence_id": "1", "send_time": "2026-11-26 10:00:00"}]


class Matrix:
    def __init__(self, app, world, login):
        self.app, self.world, self.login = app, world, login
        self.clients = {}
        self.tried = 0
        self.serial = 0

    def headers(self, caller: str) -> dict:
        w = self.world
        token = {"key:police": w.police_key, "key:social": w.social_key, "wx:alice": w.wx_alice, "wx:bob": w.wx_bob}
        return {"Authorization": f"Bearer {token[caller]}"} if caller in token else {}

    def call(self, caller: str, method: str, url: str, **kw):
        self.tried += 1
        TOTAL[0] += 1
        kw.setdefault("headers", {}).update(self.headers(caller))
        if caller not in self.clients:  # staff log in on first use only (logins are slow by design)
            self.clients[caller] = self.login(caller).client if caller in ADMIN_ROLES else self.app.test_client()
        res = self.clients[caller].open(url, method=method, **kw)
        res.get_data()  # read whole, then release a streamed file
        res.close()
        return res

    def fresh_case(self, dept: str) -> str:
        """A new completed case of `dept` ("police" or "social"); its case_no."""
        self.serial += 1
        w = self.world
        payload = (
            w.case_payload(f"GA-M-{self.serial}")
            if dept == "police"
            else w.case_payload(
                f"RS-M-{self.serial}", item_code="610118-RSJ-001", dept_code="RSJ", window_code="W05", staff_code="S002"
            )
        )
        with self.app.test_request_context(), db.connection_context():
            upsert_case(payload, getattr(w, dept))
        return payload["case_no"]


@pytest.fixture
def matrix(app, world, login):
    return Matrix(app, world, login)


def own_dept(caller: str) -> str | None:
    return {"key:police": "police", "key:social": "social"}.get(caller)


def test_business_api_needs_a_key_of_the_data_department(matrix, world):
    for caller in CALLERS:
        dept = own_dept(caller)
        for target in ("police", "social"):
            case_no = "GA-2026-0001" if target == "police" else "RS-2026-0001"
            dept_code = "GAJ" if target == "police" else "RSJ"
            fresh = matrix.fresh_case(target)
            requests = [
                ("GET", f"/api/v1/cases/{case_no}", None),
                (
                    "POST",
                    "/api/v1/cases",
                    {**_payload(world, target, f"{dept_code}-N-{caller}"), "dept_code": dept_code},
                ),
                ("POST", "/api/v1/cases/batch", [_payload(world, target, f"{dept_code}-B-{caller}")]),
                ("POST", "/api/v1/ratings", {"case_no": fresh, "level": 4, "channel": "pad"}),
                (
                    "POST",
                    "/api/v1/ratings",
                    {"window_code": "W04" if target == "police" else "W05", "level": 5, "channel": "kiosk"},
                ),
            ]
            for method, url, body in requests:
                res = matrix.call(caller, method, url, json=body)
                label = f"{caller} {method} {url} ({target})"
                if dept is None:
                    assert res.status_code == 401, label
                    assert res.get_json()["error"]["code"] in ("missing_api_key", "invalid_api_key"), label
                elif dept == target:
                    assert res.status_code in (200, 201), (label, res.get_json())
                    if url.endswith("/batch"):
                        assert res.get_json()[0]["status"] in (200, 201), label
                elif url.endswith("/batch"):
                    assert res.status_code == 200 and res.get_json()[0]["status"] == 403, label
                else:
                    assert res.status_code in (403, 404), (label, res.get_json())
                    assert set(res.get_json()) == {"error"}, label
    # A key cannot take over another department's case number either.
    res = matrix.call("key:social", "POST", "/api/v1/cases", json=_payload(world, "social", "GA-2026-0001"))
    assert res.status_code == 403


def _payload(world, target: str, case_no: str) -> dict:
    if target == "police":
        return world.case_payload(case_no)
    return world.case_payload(
        case_no, item_code="610118-RSJ-001", dept_code="RSJ", window_code="W05", staff_code="S002"
    )


def test_mini_program_routes_need_a_wx_token_and_show_only_the_callers_ratings(matrix, world):
    police_code, social_code = world.police_case["rating_code"], world.social_case["rating_code"]
    rated = {}
    for caller in ("wx:alice", "wx:bob"):
        code = police_code if caller == "wx:alice" else social_code
        res = matrix.call(caller, "POST", "/api/wx/ratings", json={"code": code, "level": 2, "comment": "排队太久"})
        assert res.status_code == 201
        rated[caller] = res.get_json()["rating_id"]
    for caller in CALLERS:
        for code in (police_code, social_code):
            requests = [
                ("GET", f"/api/wx/rating-context?code={code}", None),
                ("GET", "/api/wx/ratings/mine", None),
                ("GET", "/api/wx/subscriptions", None),
                ("POST", "/api/wx/subscriptions", {"x": "accept"}),
                ("POST", "/api/wx/ratings", {"code": code, "level": 5}),
            ]
            for method, url, body in requests:
                res = matrix.call(caller, method, url, json=body)
                label = f"{caller} {method} {url}"
                if not caller.startswith("wx:"):
                    assert res.status_code == 401, label
                    assert res.get_json()["error"]["code"] in ("missing_token", "invalid_token"), label
                elif url == "/api/wx/ratings/mine":
                    ids = {r["rating_id"] for r in res.get_json()["ratings"]}
                    assert ids == {rated[caller]}, label  # never the other citizen's rating
                elif method == "POST" and url == "/api/wx/ratings":
                    assert res.status_code == 409, label  # each case was rated once already
                else:
                    assert res.status_code == 200, label
    # An API key is not a wx token even though both are bearer tokens (and vice versa above).
    assert matrix.call("key:police", "GET", "/api/wx/ratings/mine").status_code == 401


def test_public_routes_answer_everyone_the_same(matrix, world):
    code = world.police_case["rating_code"]
    urls = [
        "/api/v1/departments",
        "/api/v1/labels",
        "/api/openapi.json",
        "/healthz",
        "/public/results",
        "/public/results.json?month=2026-10",
        "/qr/windows/W04/qrcode.png",
        "/qr/staff/S001/qrcode.png",
        "/q/w:W04",
        f"/r/{code}",
        "/rate-static/rate.js",
        "/favicon.ico",
    ]
    for url in urls:
        bodies = set()
        for caller in CALLERS:
            res = matrix.call(caller, "GET", url)
            assert res.status_code == 200, f"{caller} {url}: {res.status_code}"
            bodies.add(re.sub(rb'name="csrf_token" value="[^"]+"', b"", res.data))
        if not url.startswith("/q/") and not url.startswith("/r/"):
            # Credentials change nothing: no extra data for a key or a staff session.
            assert len(bodies) == 1, url


def test_rating_codes_open_only_their_own_case(matrix, world):
    police_code, social_code = world.police_case["rating_code"], world.social_case["rating_code"]
    for caller in CALLERS:
        page = matrix.call(caller, "GET", f"/r/{police_code}").get_data(as_text=True)
        assert "居民身份证换领" in page and "养老保险" not in page
        page = matrix.call(caller, "GET", f"/r/{social_code}").get_data(as_text=True)
        assert "养老保险" in page and "居民身份证换领" not in page
        # Nobody rated yet: the thanks page sends back to the form, it shows no one's rating.
        res = matrix.call(caller, "GET", f"/r/{police_code}/thanks")
        assert res.status_code in (302, 303), caller
        assert matrix.call(caller, "GET", f"/r/{police_code[:-1]}X/thanks").status_code in (302, 303, 404), caller
        # Nobody rated yet: the 追评 page sends back to the form too.
        assert matrix.call(caller, "GET", f"/r/{police_code}/addendum").status_code in (302, 303), caller
        # An on-site thanks page belongs to the browser that rated.
        assert matrix.call(caller, "GET", "/q/w:W04/thanks").status_code in (302, 303), caller


def test_metrics_only_from_allowed_addresses_or_with_the_token(matrix, app):
    for caller in CALLERS:
        local = matrix.call(caller, "GET", "/metrics")
        assert local.status_code == 200 and local.mimetype == "text/plain", caller
        remote = matrix.call(caller, "GET", "/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert remote.status_code == 403, caller
        assert remote.get_json()["error"]["code"] == "forbidden"


@pytest.mark.settings({"metrics": {"allowed_ips": [], "token": "metrics-token-0123456789"}})
def test_metrics_token(matrix):
    assert matrix.call("anonymous", "GET", "/metrics").status_code == 403
    ok = matrix.call("anonymous", "GET", "/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"})
    assert ok.status_code == 200
    for caller in ("key:police", "wx:alice", "bureau"):
        assert matrix.call(caller, "GET", "/metrics").status_code == 403, caller


def test_sms_callbacks_answer_only_the_token(matrix):
    for caller in CALLERS:
        for kind in ("up", "report"):
            wrong = matrix.call(caller, "POST", f"/sms/aliyun/not-the-token-000000/{kind}", json=SMS_UP)
            assert wrong.status_code == 404, caller
        right = matrix.call(caller, "POST", f"/sms/aliyun/{CALLBACK_TOKEN}/up", json=SMS_UP)
        assert right.status_code == 200, caller


def test_admin_routes_refuse_keys_tokens_and_anonymous(matrix, app):
    callers = ("anonymous", "key:police", "key:social", "wx:alice", "wx:bob")
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.") and r.endpoint != "admin.static"]
    assert len(rules) > 20
    for rule in rules:
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for caller in callers:
                res = matrix.call(caller, method, url)
                label = f"{caller} {method} {url}"
                if url == "/admin/login":
                    assert res.status_code in (200, 400), label  # the login form, or a POST without CSRF
                else:
                    assert res.status_code in (302, 400), label  # to the login page, or refused by CSRF
                    if res.status_code == 302:
                        assert "/admin/login" in res.headers["Location"], label


def test_every_non_admin_route_is_in_the_matrix(app):
    covered = {
        "ops.openapi",
        "ops.metrics",
        "api.put_case",
        "api.get_case",
        "api.put_cases",
        "api.departments",
        "api.labels",
        "api.post_rating",
        "wx.login",
        "wx.rating_context",
        "wx.post_rating",
        "wx.my_ratings",
        "wx.get_subscriptions",
        "wx.post_subscriptions",
        "health.healthz",
        "public.results",
        "public.results_json",
        "rate.onsite_page",
        "rate.onsite_thanks",
        "qr.poster_png",
        "qr.qrcode_png",
        "qr.wxacode_png",
        "qr.hall_pdf",
        "rate.case_page",
        "rate.case_thanks",
        "rate.addendum_page",
        "ops.favicon",
        "rate.static",
        "sms.sms_report",
        "sms.sms_up",
        "static",
    }
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if not r.endpoint.startswith("admin.")}
    assert endpoints <= covered, f"add these routes to the matrix: {sorted(endpoints - covered)}"
    print(f"authorization matrix: {TOTAL[0]} requests (callers × routes × own/foreign)")
