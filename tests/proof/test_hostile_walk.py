"""Every route of the app, as every kind of caller, with hostile values in every
parameter it has: no answer may be a 5xx, and a JSON route never answers an error
as a page.

The parameters are found, not listed: the path's own arguments; the query and form
names a view reads (a request class records them on a first, benign request); the
fields of every form a page offers (for the route the form posts to); each field of
a JSON body, nested ones included, and whole hostile bodies; and on the public and
machine routes the headers they read (credentials, forwarded address, If-None-Match). Admin routes are walked
as each of the five staff roles: the first role allowed on a route gets the whole
battery in every parameter, the others its sharpest values (`hostile.SHARP`).
The figures (routes, requests) are printed at the end for the engineer's note.
"""

import datetime as dt
import io
import re
import time
from collections import Counter
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlparse

import pytest

from models import ApiKey
from models import Department
from models import Hall
from models import Item
from models import RatingFlag
from models import Staff
from models import StaffIdentity
from models import User
from models import Window
from models import db
from tests.admin.conftest import CHEAP_HASH
from tests.admin.conftest import Ratings

from .conftest import CALLBACK_TOKEN
from .hostile import FILES
from .hostile import HEADERS
from .hostile import HOSTILE
from .hostile import JSON_VALUES
from .hostile import RAW_BODIES
from .hostile import SHARP
from .hostile import RecordingArgs
from .hostile import forms_of
from .hostile import recording_request_class

ADMIN_ROLES = ("bureau", "police_admin", "police_staff", "social_admin", "auditor")
MASTER_KINDS = ("department", "hall", "window", "staff", "item")
NOT_FUZZED = {"csrf_token"}
# Ends the walker's own session; walked by each role last.
LAST = {"admin.logout"}


@pytest.fixture
def targets(app, world, staff):
    """Rows the walk may change at will, so that its POSTs never spoil what the rest walks on."""
    with app.app_context(), db.connection_context():
        ratings = Ratings(world)
        ticket = ratings.rate(1, dept="police", at=dt.datetime(2026, 11, 20, 9), comment="态度差").ticket
        department = Department.create(code="WALK", name="漫游测试部门", kind="district")
        hall = Hall.create(code="WALK-H", name="漫游大厅", department=world.police)
        window = Window.create(code="WALK-W", name="漫游窗口", hall=hall, department=world.police)
        person = Staff.create(code="WALK-S", name="漫游", department=world.police, window=window)
        item = Item.create(code="WALK-I", name="漫游事项", category="公共服务", department=world.police)
        user = User.create(username="walk_target", role="dept_staff", department=world.police, password_hash=CHEAP_HASH)
        key, _ = ApiKey.issue(world.police, "walk")
        flag = RatingFlag.create(rating=ticket.rating, rules="burst", reason="漫游")
        identity = StaffIdentity.create(staff=person, kind="device", value="WALK-PC", shown="WALK-PC")
    return {
        "objects": {"department": department, "hall": hall, "window": window, "staff": person, "item": item},
        "ticket_id": ticket.id,
        "user_id": user.id,
        "key_id": key.id,
        "flag_id": flag.id,
        "identity_id": identity.id,
    }


def bases(rule, world, targets) -> list[dict]:
    """The path arguments that reach a real row (one set per master-data kind)."""
    args, endpoint = set(rule.arguments), rule.endpoint
    if not args:
        return [{}]
    if endpoint.startswith("admin.master") or endpoint == "admin.qr_poster":
        kinds = ("window", "hall") if endpoint == "admin.qr_poster" else MASTER_KINDS
        return [{"kind": k, **({"row_id": targets["objects"][k].id} if "row_id" in args else {})} for k in kinds]
    if endpoint == "admin.import_template":
        return [{"kind": k} for k in ("catalogue", "master", "paper")]
    known = {
        "ticket_id": targets["ticket_id"],
        "user_id": targets["user_id"],
        "key_id": targets["key_id"],
        "flag_id": targets["flag_id"],
        "identity_id": targets["identity_id"],
        "token": CALLBACK_TOKEN,
        "case_no": "GA-2026-0001",
        "scene": "w:W04",
        "filename": "rate.js" if endpoint == "rate.static" else "admin.css",
    }
    if endpoint.startswith("rate.case") or endpoint.startswith("rate.addendum"):
        known["code"] = world.police_case["rating_code"]
    elif endpoint == "qr.hall_pdf":
        known["code"] = "SMZJ"
    elif endpoint.startswith("qr."):
        known.update(kind="windows", code="W04")
    missing = args - set(known)
    assert not missing, f"no value for {sorted(missing)} of {rule.rule}: add one to this test"
    return [{name: known[name] for name in args}]


def build(rule, values: dict) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = quote(str(values[name]), safe="")
        path = re.sub(rf"<(?:\w+:)?{name}>", lambda _m, v=value: v, path)
    return path


def json_cases(world) -> dict:
    """(caller, a valid body) of every JSON route."""
    case = world.case_payload("GA-WALK-1")
    return {
        "api.put_case": ("key", case),
        "api.put_cases": ("key", [case, world.case_payload("GA-WALK-2")]),
        "api.post_rating": ("key", {"window_code": "W04", "level": 5, "channel": "pad", "labels": ["501"]}),
        "wx.login": ("anonymous", {"code": "walk.code"}),
        "wx.post_rating": ("wx", {"scene": "w:W04", "level": 4, "labels": ["401"], "comment": "好"}),
        "wx.post_subscriptions": ("wx", {"tmpl-1": "accept"}),
        "sms.sms_up": (
            "anonymous",
            [{"phone_number": "13800138000", "content": "5", "sequence_id": "9", "send_time": "2026-11-26 10:00:00"}],
        ),
        "sms.sms_report": (
            "anonymous",
            [
                {
                    "phone_number": "13800138000",
                    "send_time": "2026-11-26 10:00:00",
                    "report_time": "2026-11-26 10:00:05",
                    "success": True,
                    "err_code": "DELIVERED",
                    "err_msg": "用户接收成功",
                    "sms_size": "1",
                    "biz_id": "walk-biz",
                    "out_id": "walk",
                }
            ],
        ),
    }


def variants(body, depth: int = 0):
    """The body with one field (at any depth) replaced by each hostile JSON value."""
    if depth > 2:
        return
    if isinstance(body, dict):
        for key, value in body.items():
            for hostile in JSON_VALUES:
                yield {**body, key: hostile}
            for inner in variants(value, depth + 1):
                yield {**body, key: inner}
    elif isinstance(body, list) and body:
        for inner in variants(body[0], depth + 1):
            yield [inner, *body[1:]]
        for hostile in JSON_VALUES[:8]:
            yield [hostile, *body[1:]]


class Walk:
    def __init__(self, app, world, login):
        self.app, self.world, self.login = app, world, login
        self.sessions = {}
        self.sent = 0
        self.failures = []
        self.statuses = Counter()
        self.routes = set()
        self.forms = {}  # caller → [(path, form)]

    # -- callers ---------------------------------------------------------------
    def session(self, who):
        if who not in self.sessions:
            if who in ADMIN_ROLES:
                self.sessions[who] = self.login(who)
            else:
                self.sessions[who] = _Anonymous(self.app.test_client())
        return self.sessions[who]

    def headers(self, who) -> dict:
        token = {"key": self.world.police_key, "wx": self.world.wx_alice}.get(who)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def send(self, who, endpoint, method, path, **kw):
        session = self.session(who)
        kw["headers"] = {**self.headers(who), **kw.get("headers", {})}
        RecordingArgs.read = set()
        response = session.client.open(path, method=method, **kw)
        body = response.get_data()
        response.close()
        self.sent += 1
        self.routes.add(endpoint)
        self.statuses[response.status_code // 100] += 1
        label = f"{who} {method} {path[:120]!r} {str(kw.get('query_string') or kw.get('data') or '')[:160]}"
        if response.status_code >= 500:
            self.failures.append(f"{label} -> {response.status_code}: {body[:300]!r}")
        elif path.startswith(("/api/", "/sms/")) and response.status_code >= 400 and not response.is_json:
            self.failures.append(f"{label} -> {response.status_code} answered a JSON route with a page")
        if who in ADMIN_ROLES and response.status_code == 302 and "/admin/login" in response.headers["Location"]:
            self.sessions.pop(who)  # the walk ended its own session (a password reset, a logout): log in again
        return response, body, set(RecordingArgs.read)

    # -- the walk --------------------------------------------------------------
    def get_routes(self, who, rules, battery):
        for rule, base in rules:
            path = build(rule, base)
            response, body, read = self.send(who, rule.endpoint, "GET", path)
            if response.mimetype == "text/html":
                self.forms.setdefault(who, []).extend(
                    (f["action"] or path, f) for f in forms_of(body.decode("utf-8", "replace"))
                )
            for name in rule.arguments:
                for value in battery:
                    self.send(who, rule.endpoint, "GET", build(rule, {**base, name: value}))
            for name in read - NOT_FUZZED:
                for value in battery:
                    self.send(who, rule.endpoint, "GET", path, query_string={name: value})
            if who not in ADMIN_ROLES:
                for header, value in HEADERS:
                    self.send(who, rule.endpoint, "GET", path, headers={header: value})

    def post_routes(self, who, rules, battery):
        for rule, base in rules:
            path = build(rule, base)
            forms = [
                f
                for action, f in self.forms.get(who, [])
                if unquote(urlparse(action).path) == unquote(path) and f["method"] == "POST"
            ]
            shapes, seen = [], set()
            for form in forms:
                shape = (tuple(sorted(form["fields"])), form["fields"].get("op"), form["fields"].get("action"))
                if shape not in seen:
                    seen.add(shape)
                    shapes.append(form)
            if not shapes:
                token = getattr(self.session(who), "token", None)
                shapes = [{"fields": {"csrf_token": token} if token else {}, "files": []}]
            for form in shapes:
                fields, files = dict(form["fields"]), form["files"]
                _, _, read = self.post(who, rule, path, fields, files)
                names = (set(fields) | read) - NOT_FUZZED
                for name in sorted(names):
                    for value in battery:
                        self.post(who, rule, path, {**fields, name: value}, files)
                for name in files:
                    for filename, data in FILES:
                        self.post(who, rule, path, fields, [], {name: (io.BytesIO(data), filename)})
                for name in rule.arguments:
                    for value in battery:
                        self.post(who, rule, build(rule, {**base, name: value}), fields, files)

    def post(self, who, rule, path, fields, files, uploads=None):
        data = dict(fields)
        if "csrf_token" in data:
            data["csrf_token"] = getattr(self.session(who), "token", None) or data["csrf_token"]
        for name in files:
            data[name] = (io.BytesIO("单位编码,窗口编码\nGTJD,W\n".encode()), "x.csv")
        data.update(uploads or {})
        return self.send(who, rule.endpoint, "POST", path, data=data, content_type="multipart/form-data")

    def json_routes(self, rules):
        cases = json_cases(self.world)
        for rule, base in rules:
            who, body = cases[rule.endpoint]
            path = build(rule, base)
            self.send(who, rule.endpoint, "POST", path, json=body)
            for variant in variants(body):
                self.send(who, rule.endpoint, "POST", path, json=variant)
            for raw in RAW_BODIES:
                self.send(who, rule.endpoint, "POST", path, data=raw, content_type="application/json")
            for header, value in HEADERS:
                self.send(who, rule.endpoint, "POST", path, json=body, headers={header: value})
            for name in rule.arguments:
                for value in HOSTILE:
                    self.send(who, rule.endpoint, "POST", build(rule, {**base, name: value}), json=body)


class _Anonymous:
    def __init__(self, client):
        self.client = client


# The staff users of the walk, by the role they have.
USER_ROLES = {
    "bureau": "bureau",
    "police_admin": "dept_admin",
    "police_staff": "dept_staff",
    "social_admin": "dept_admin",
    "auditor": "auditor",
}


def allowed(app, rule, user: str) -> bool:
    roles = getattr(app.view_functions.get(rule.endpoint), "allowed_roles", None)
    return roles is None or USER_ROLES[user] in roles


@pytest.mark.settings({"limits": {"enabled": False}})
def test_no_route_answers_a_hostile_value_with_a_5xx(app, world, login, targets):
    app.request_class = recording_request_class(app.request_class)
    walk = Walk(app, world, login)
    started = time.monotonic()
    rules = sorted(
        (r for r in app.url_map.iter_rules() if not r.endpoint.endswith("static") or r.endpoint == "rate.static"),
        key=lambda r: r.rule,
    )
    json_endpoints = set(json_cases(world))
    page_get, page_post, json_post = [], [], []
    for rule in rules:
        for base in bases(rule, world, targets):
            if "GET" in rule.methods:
                page_get.append((rule, base))
            if "POST" in rule.methods:
                (json_post if rule.endpoint in json_endpoints else page_post).append((rule, base))

    # The channels and public pages: a citizen, a business system, the mini program.
    public_get = [(r, b) for r, b in page_get if not r.endpoint.startswith("admin.")]
    who_for = {"api.": "key", "wx.": "wx"}
    for rule, base in public_get:
        who = next((w for p, w in who_for.items() if rule.endpoint.startswith(p)), "anonymous")
        walk.get_routes(who, [(rule, base)], HOSTILE)
    walk.post_routes("anonymous", [(r, b) for r, b in page_post if not r.endpoint.startswith("admin.")], HOSTILE)
    walk.json_routes(json_post)

    # The admin, as each role: the first role allowed on a route takes the whole battery.
    fully = set()
    public = [(r, b) for r, b in page_get + page_post if r.endpoint == "admin.login"]
    walk.get_routes("anonymous", [x for x in public if "GET" in x[0].methods], HOSTILE)
    walk.post_routes("anonymous", [x for x in public if "POST" in x[0].methods], HOSTILE)
    for role in ADMIN_ROLES:
        gets = [(r, b) for r, b in page_get if r.endpoint.startswith("admin.") and allowed(app, r, role)]
        posts = [(r, b) for r, b in page_post if r.endpoint.startswith("admin.") and allowed(app, r, role)]
        for group, walker in ((gets, walk.get_routes), (posts, walk.post_routes)):
            ordered = [x for x in group if x[0].endpoint not in LAST] + [x for x in group if x[0].endpoint in LAST]
            for rule, base in ordered:
                battery = SHARP if (rule.endpoint, str(base)) in fully else HOSTILE
                fully.add((rule.endpoint, str(base)))
                walker(role, [(rule, base)], battery)

    every = {r.endpoint for r in rules}
    elapsed = time.monotonic() - started
    print(
        f"hostile walk: {walk.sent} requests over {len(walk.routes)} routes ({len(rules)} rules) "
        f"in {elapsed:.0f}s; answers by class: {dict(sorted(walk.statuses.items()))}"
    )
    assert walk.routes >= every, f"routes never walked: {sorted(every - walk.routes)}"
    assert not walk.failures, f"{len(walk.failures)} failures:\n" + "\n".join(walk.failures[:40])
