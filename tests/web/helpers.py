import re

from core import clock


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def create_case(client, make, case_no="GA-2026-0001", **changes):
    res = client.post("/api/v1/cases", json=make.case_payload(case_no, **changes), headers=make.auth(make.police_key))
    assert res.status_code in (200, 201), res.get_json()
    return res.get_json()["rating_code"]


def fill(client, url: str, **fields):
    """GET the form, then POST it with its CSRF token."""
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), **fields}
    return client.post(url, data=data)


def due_text(ticket) -> str:
    due = ticket.due_at
    return f"{due.year}年{due.month}月{due.day}日 {due:%H:%M}"


__all__ = ["clock", "create_case", "csrf_from", "due_text", "fill"]
