"""Each 500 of issue 16, as it was reproduced against main, now a 4xx in the contract's
shape (or a readable page). The route walk (test_hostile_walk.py) covers the same ground
wholesale; these name the cases one by one."""

import pytest

from models import Case
from models import Rating
from models import db

from .conftest import CALLBACK_TOKEN

DEEP = b"[" * 100_000


def post_json(client, path, data, key=None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(path, data=data, content_type="application/json", headers=headers)


def assert_contract(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message"}
    if code:
        assert body["error"]["code"] == code


def test_deeply_nested_json_is_a_400_on_every_json_route(client, world):
    routes = [
        ("/api/v1/cases", world.police_key),
        ("/api/v1/cases/batch", world.police_key),
        ("/api/v1/ratings", world.police_key),
        ("/api/wx/login", None),
        ("/api/wx/ratings", world.wx_alice),
        ("/api/wx/subscriptions", world.wx_alice),
        (f"/sms/aliyun/{CALLBACK_TOKEN}/up", None),
        (f"/sms/aliyun/{CALLBACK_TOKEN}/report", None),
    ]
    for path, key in routes:
        assert_contract(post_json(client, path, DEEP, key), 400, "json_too_deep")
        assert_contract(post_json(client, path, b'{"a":' * 40 + b"1" + b"}" * 40, key), 400, "json_too_deep")


def test_times_at_the_edges_of_the_range_are_a_422_naming_the_field(client, world):
    for field, value in (("completed_at", "0001-01-01T00:00:00+14:00"), ("accepted_at", "9999-12-31T23:59:59-12:00")):
        payload = world.case_payload("GA-EDGE-1", **{field: value})
        response = client.post("/api/v1/cases", json=payload, headers=world.auth(world.police_key))
        assert_contract(response, 422, f"invalid_{field}")
        assert field in response.get_json()["error"]["message"]


def test_in_a_batch_only_the_element_with_the_bad_time_fails(client, world):
    batch = [
        world.case_payload("GA-EDGE-2"),
        world.case_payload("GA-EDGE-3", completed_at="0001-01-01T00:00:00+14:00"),
        world.case_payload("GA-EDGE-4"),
    ]
    response = client.post("/api/v1/cases/batch", json=batch, headers=world.auth(world.police_key))
    assert response.status_code == 200
    assert [item["status"] for item in response.get_json()] == [201, 422, 201]
    with db.connection_context():
        assert Case.by_case_no("GA-EDGE-3") is None and Case.by_case_no("GA-EDGE-4") is not None


@pytest.mark.parametrize("path", ["/api/v1/cases/%00", "/api/v1/cases/a%00b", "/qr/halls/%00/posters.pdf"])
def test_a_nul_in_a_path_is_a_404_before_the_database_and_the_log(client, world, path, caplog):
    response = client.get(path, headers=world.auth(world.police_key))
    if path.startswith("/api/"):
        assert_contract(response, 404, "not_found")
    else:
        assert response.status_code == 404 and "不存在" in response.get_data(as_text=True)  # a page
    assert "\x00" not in caplog.text


def test_a_non_ascii_digit_as_the_level_of_the_h5_form_is_a_readable_page(client, world):
    from tests.web.helpers import fill

    # NFKC reads ² as 2 (core/numbers.py): rated, and sent on to the thanks page.
    assert fill(client, "/q/w:W04", level="²").status_code == 303
    # Digits of another script are no level: the form again, saying what to do.
    refused = fill(client, "/q/w:W04", level="٣")
    assert refused.status_code == 422 and "评价等级" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "page=²",
        "page=99999999999999999999",
        "department=١",
        "hall=9223372036854775808",
        "window=①",
        "from=0001-01-01&to=9999-12-31",
    ],
)
def test_admin_paging_and_filters_with_odd_numbers_and_dates_answer_a_page(login, world, query):
    session = login("bureau")
    for path in (
        "/admin/",
        "/admin/tickets",
        "/admin/audit",
        "/admin/flags",
        "/admin/invitations",
        "/admin/master/window",
    ):
        assert session.get(f"{path}?{query}").status_code == 200, path


def test_a_report_for_a_huge_department_id_is_a_404(login, world):
    assert login("bureau").get("/admin/reports/monthly.xlsx?department=99999999999999999999").status_code == 404


def test_a_huge_id_in_an_admin_path_is_a_404(login, world):
    session = login("bureau")
    assert session.get("/admin/tickets/99999999999999999999").status_code == 404
    assert session.get("/admin/master/window/9223372036854775808").status_code == 404


def test_nothing_half_written_by_a_refused_rating(client, world):
    before = _ratings()
    post_json(client, "/api/v1/ratings", DEEP, world.police_key)
    post_json(client, "/api/v1/ratings", b'{"window_code": "W04", "level": NaN, "channel": "pad"}', world.police_key)
    assert _ratings() == before


def _ratings() -> int:
    with db.connection_context():
        return Rating.select().count()
