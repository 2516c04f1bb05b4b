"""Security headers, password rules, the append-only audit log, /metrics figures."""

import pathlib
import re

import pytest
from peewee import DatabaseError

from core.passwords import password_problem
from models import AuditLog
from models import db
from ops.headers import CSP
from ops.metrics import render

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url", ["/admin/login", "/public/results", "/api/v1/departments", "/healthz", "/q/w:W04", "/nope", "/metrics"]
)
def test_every_answer_carries_the_security_headers(client, make, url):
    res = client.get(url)
    assert res.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP and "unsafe-inline" not in CSP.split(";")[1]
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in res.headers  # HSTS off by default, and never over plain HTTP


@pytest.mark.settings({"app": {"hsts_seconds": 31536000}})
def test_hsts_only_over_https(client, make):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert client.get("/healthz", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_answers_are_counted_by_status_class_but_a_scrape(client, make):
    from ops import metrics

    before = dict(metrics._responses)
    client.get("/healthz")
    client.get("/nope")
    client.get("/metrics")
    after = dict(metrics._responses)
    assert after.get("2xx", 0) - before.get("2xx", 0) == 1  # /healthz, not the scrape
    assert after.get("4xx", 0) - before.get("4xx", 0) == 1


def test_a_header_a_view_set_itself_is_kept(app, client):
    @app.get("/own-frame-policy")
    def own_frame_policy():
        return "", 200, {"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "default-src 'none'"}

    res = client.get("/own-frame-policy")
    assert res.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert res.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_no_template_runs_inline_script():
    """CSP script-src 'self' holds only if no template carries an inline script or handler."""
    templates = [p for p in ROOT.rglob("templates/**/*.html") if ".venv" not in p.parts]
    assert len(templates) > 20
    for path in templates:
        html = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"inline event handler in {path}"
        assert "javascript:" not in html, path


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("bureau-admin-2026", False),  # contains the username
        ("1234567890", False),
        ("Password123", False),
        ("aaaaaaaaaaaa", False),
        ("abababababab", False),
        ("x" * 129, False),
        ("correct-horse-battery", True),
        ("窗口服务每天都要更好一点", True),
    ],
)
def test_password_rules(password, ok):
    assert (password_problem(password, "bureau-admin") is None) == ok


def test_password_rules_apply_to_the_admin_form_and_the_command_line(app, staff, login, runner, make):
    from tests.admin.conftest import PASSWORD

    session = login("police_admin")
    for bad, why in (("1234567890", "常见"), ("police_admin-x1", "用户名"), ("short", "10")):
        page = session.post("/admin/password", data={"current": PASSWORD, "new": bad, "repeat": bad})
        assert page.status_code == 200 and why in page.get_data(as_text=True), bad
    good = session.post(
        "/admin/password", data={"current": PASSWORD, "new": "walnut-river-lamp", "repeat": "walnut-river-lamp"}
    )
    assert good.status_code == 302
    refused = runner.invoke(args=["create-user", "clerk01", "--role", "bureau", "--password", "password123"])
    assert refused.exit_code != 0 and "常见" in refused.output
    accepted = runner.invoke(args=["create-user", "clerk01", "--role", "bureau", "--password", "walnut-river-lamp"])
    assert accepted.exit_code == 0, accepted.output


def test_the_audit_log_cannot_be_edited_or_deleted(app, staff, login):
    login("bureau")  # writes login rows
    with app.app_context(), db.connection_context():
        before = [(row.id, row.actor, row.action) for row in AuditLog.select().order_by(AuditLog.id)]
        assert before
        for statement in (
            AuditLog.update(actor="someone-else").where(AuditLog.id == before[0][0]),
            AuditLog.delete().where(AuditLog.actor == "user:bureau"),
            AuditLog.delete(),
        ):
            with pytest.raises(DatabaseError, match="append-only"):
                with db.atomic():
                    statement.execute()
        AuditLog.record("cli", "still.appends")
        after = [(row.id, row.actor, row.action) for row in AuditLog.select().order_by(AuditLog.id)]
    assert after[: len(before)] == before and after[-1][2] == "still.appends"
    # And no admin route edits it: the audit page is read-only.
    assert {m for r in app.url_map.iter_rules() if r.endpoint == "admin.audit_log" for m in r.methods} <= {
        "GET",
        "HEAD",
        "OPTIONS",
    }


def test_metrics_count_what_the_database_holds(app, client, world):
    client.post(
        "/api/v1/ratings",
        json={"case_no": "GA-2026-0001", "level": 1, "comment": "王敏态度差 13800138000", "channel": "pad"},
        headers=world.auth(world.police_key),
    )
    client.get("/nope")
    with app.app_context(), db.connection_context():
        text = render()
    samples = dict(re.findall(r"^(\S+) (\S+)$", text, re.M))
    assert samples['hcp_ratings_total{channel="pad",level="1"}'] == "1"
    assert samples["hcp_bad_reviews_total"] == "1"
    assert samples['hcp_tickets{state="new"}'] == "1"
    assert sum(int(v) for k, v in samples.items() if k.startswith("hcp_invitations{")) == 2
    assert samples['hcp_outbox{kind="upstream.rating",state="pending"}'] == "1"
    assert int(samples['hcp_outbox_backlog{kind="sms.invite"}']) >= 1
    assert int(samples['hcp_http_responses_total{status="4xx"}']) >= 1
    # Every family is declared once, every sample line parses, and no personal data.
    names = re.findall(r"^# TYPE (\S+) (counter|gauge)$", text, re.M)
    assert len(names) == len({n for n, _ in names}) >= 10
    for line in text.splitlines():
        assert line.startswith("#") or re.match(r'^hcp_[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? \d+(\.\d+)?$', line), line
    for secret in ("13800138000", "张三", "王敏", "态度差"):
        assert secret not in text
