"""XSS and injection payloads through every text field a citizen or a business system
sends, then every page and export that shows them: escaped text, never markup, never a
formula, never a 5xx. Text no database can store (NUL, lone surrogates) is a 400."""

import io
import json
import re

import pytest
from markupsafe import escape
from openpyxl import load_workbook

from models import Rating
from models import Ticket
from models import db
from tests.web.helpers import csrf_from

from .conftest import CALLBACK_TOKEN

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "javascript:alert(1)",
    "{{ 7*7 }}{% if 1 %}x{% endif %}",
    "${7*7}#{7*7}",
    "'; DROP TABLE rating; --",
    "1' OR '1'='1",
    '=HYPERLINK("http://evil.example","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3*cmd",
    "@SUM(A1:A9)",
    "\u202egnp.exe 反转",
    "&lt;b&gt;实体&amp;",
    "A" * 5000,
]
DANGEROUS = re.compile(r"<script>alert|<img src=x|<svg/onload|49x")
STATS = {"submissions": 0, "checks": 0}


def cleaned(text: str) -> str:
    """What the rating core keeps of a comment (printable characters, trimmed)."""
    return "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()


def assert_escaped(html: str, where: str) -> None:
    STATS["checks"] += 1
    assert not DANGEROUS.search(html), where
    assert "</textarea><script>" not in html, where


@pytest.fixture
def bureau(login):
    return login("bureau")


def _case(client, make, n: int, **changes) -> str:
    res = client.post(
        "/api/v1/cases", json=make.case_payload(f"GA-X-{n}", **changes), headers=make.auth(make.police_key)
    )
    STATS["submissions"] += 1
    assert res.status_code < 500, res.get_data(as_text=True)
    return res.get_json().get("rating_code") if res.status_code in (200, 201) else None


# Hundreds of submissions from one client and one rater: the rate limits and the
# fraud screening have their own tests; here they would only stop the payloads.
@pytest.mark.settings({"limits": {"enabled": False}, "fraud": {"burst_count": 1000, "pad_min_seconds": 0}})
def test_payloads_in_every_text_field_end_escaped_everywhere(app, client, world, bureau, make):
    shown = {}
    for i, payload in enumerate(PAYLOADS):
        # Business system: item name of a new item, applicant name, device rating comment.
        _case(client, make, 1000 + i, item_code=f"NEW-{i}", item_name=payload[:200])
        _case(client, make, 2000 + i, applicant={"name": payload[:100], "phone": "13800138000"})
        code = _case(client, make, 3000 + i)
        res = client.post(
            "/api/v1/ratings",
            json={"case_no": f"GA-X-{3000 + i}", "level": 1, "comment": payload, "channel": "pad"},
            headers=make.auth(make.police_key),
        )
        STATS["submissions"] += 1
        assert res.status_code in (201, 422), res.get_json()
        if res.status_code == 201:
            shown[res.get_json()["ticket_no"]] = payload
        # Mini program comment.
        wx_code = _case(client, make, 4000 + i)
        res = client.post(
            "/api/wx/ratings",
            json={"code": wx_code, "level": 2, "comment": payload, "labels": ["201"]},
            headers={"Authorization": f"Bearer {world.wx_alice}"},
        )
        STATS["submissions"] += 1
        assert res.status_code in (201, 422), res.get_json()
        if res.status_code == 201:
            shown[res.get_json()["ticket_no"]] = payload
        # H5 page: an invalid submission echoes the comment back into the form.
        h5_code = _case(client, make, 5000 + i)
        page = client.get(f"/r/{h5_code}").get_data(as_text=True)
        echoed = client.post(f"/r/{h5_code}", data={"csrf_token": csrf_from(page), "comment": payload, "level": "9"})
        STATS["submissions"] += 1
        assert echoed.status_code == 422
        assert_escaped(echoed.get_data(as_text=True), f"H5 form echo of {payload[:30]!r}")
        done = client.post(f"/r/{h5_code}", data={"csrf_token": csrf_from(page), "comment": payload, "level": "1"})
        STATS["submissions"] += 1
        assert done.status_code in (302, 303, 422)
        thanks = client.get(f"/r/{h5_code}/thanks", follow_redirects=True)
        assert_escaped(thanks.get_data(as_text=True), "H5 thank-you page")
        # SMS reply text: stored by the callback, read by the job.
        up = [{"phone_number": "13800138000", "content": payload[:1000], "sequence_id": f"x{i}"}]
        assert client.post(f"/sms/aliyun/{CALLBACK_TOKEN}/up", json=up).status_code == 200
        STATS["submissions"] += 1
        assert client.get(f"/r/{code}").status_code == 200

    from sms.inbox import process_inbox

    with app.app_context():
        process_inbox()

    with app.app_context(), db.connection_context():
        tickets = {t.ticket_no: t.id for t in Ticket.select()}
        comments = [r.comment for r in Rating.select() if r.comment]
    assert len(shown) >= len(PAYLOADS) * 2 - 4  # only the over-long comment is refused
    assert any("<script>" in c for c in comments)  # stored as the citizen wrote it, escaped on output

    for ticket_no, payload in shown.items():
        html = bureau.get(f"/admin/tickets/{tickets[ticket_no]}").get_data(as_text=True)
        assert_escaped(html, f"ticket page {ticket_no}")
        assert str(escape(cleaned(payload))) in html, f"the comment is shown as text on {ticket_no}"
    for url in (
        "/admin/",
        "/admin/tickets",
        "/admin/tickets?q=%3Cscript%3Ealert(1)%3C/script%3E",
        "/admin/invitations",
        "/admin/master/items",
        "/admin/audit",
        "/public/results",
    ):
        res = bureau.get(url)
        assert res.status_code in (200, 404), url
        assert_escaped(res.get_data(as_text=True), url)
    # The mini program's list is JSON: the text comes back exactly, for the client to render as text.
    mine = client.get("/api/wx/ratings/mine", headers={"Authorization": f"Bearer {world.wx_alice}"}).get_json()
    assert {r["comment"] for r in mine["ratings"]} >= {cleaned(p) for p in PAYLOADS if len(p) <= 500} - {""}

    report = bureau.get("/admin/reports/monthly.xlsx?month=2026-11")
    assert report.status_code == 200
    assert_no_formula(report.data)
    print(f"injection: {len(PAYLOADS)} payloads, {STATS['submissions']} submissions, {STATS['checks']} page checks")


def assert_no_formula(data: bytes) -> None:
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                STATS["checks"] += 1
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), f"{sheet.title}!{cell.coordinate}"


def test_xlsx_cells_that_look_like_formulas_stay_text():
    from openpyxl import Workbook

    from figures.xlsx import safe
    from figures.xlsx import to_bytes
    from figures.xlsx import write_sheet

    book = Workbook()
    write_sheet(book.active, "注入", ["文字"], [[safe(p)] for p in PAYLOADS])
    assert_no_formula(to_bytes(book))


@pytest.mark.parametrize(
    "body",
    [
        '{"code": "a\\u0000b"}',
        '{"code": "\\ud800"}',
        '{"code": "x", "extra": ["\\udfff"]}',
        '{"code": "\\uDBFF", "pair": "\\ud83d\\ude00"}',
    ],
)
def test_text_no_database_can_store_is_a_400(client, make, body):
    """Before: a 500 (lone surrogate: every backend; NUL: PostgreSQL) — found by schemathesis."""
    for url, headers in (
        ("/api/wx/login", {}),
        ("/api/v1/cases", make.auth(make.police_key)),
        (f"/sms/aliyun/{CALLBACK_TOKEN}/up", {}),
    ):
        res = client.post(url, data=body, content_type="application/json", headers=headers)
        assert res.status_code == 400, url
        assert res.get_json()["error"]["code"] == "invalid_text"
    name = make.case_payload("GA-NUL-1")
    name["applicant"]["name"] = "张\u0000三"
    res = client.post(
        "/api/v1/cases", data=json.dumps(name), content_type="application/json", headers=make.auth(make.police_key)
    )
    assert res.status_code == 400
    assert client.get("/public/results?month=%00").status_code == 400
