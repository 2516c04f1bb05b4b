"""Channels by who may use them, and references by whose they are.

A department's key writes its cases and rates through its own windows' devices (pad, kiosk,
pc); paper forms and the 12345 hotline's phone ratings (pf 6) come only from the bureau (a
bureau key, or its paper-form import). Every reference a key names must be its department's."""

import pytest

from models import ApiKey
from models import Case
from models import Rating
from models import db

from .test_ratings import rate


@pytest.fixture
def bureau_key(make):
    with db.connection_context():
        return ApiKey.issue(make.bureau, "bureau paper desk", bureau=True)[1]


@pytest.fixture
def case(client, make):
    response = client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    assert response.status_code == 201
    return "GA-2026-0001"


@pytest.mark.parametrize(
    ("channel", "department", "bureau"),
    [
        ("pad", 201, 201),
        ("kiosk", 201, 201),
        ("pc", 201, 201),
        ("paper", 403, 201),
        ("phone", 403, 201),
    ],
)
def test_the_channel_key_matrix(client, make, case, bureau_key, channel, department, bureau):
    first = rate(client, make, case_no=case, level=4, channel=channel)
    assert first.status_code == department, first.get_json()
    if department == 403:
        error = first.get_json()["error"]
        assert error["code"] == "channel_not_allowed" and error["field"] == "channel"
        assert "局级密钥" in error["message"]
        with db.connection_context():
            assert Rating.select().count() == 0
    second = rate(client, make, key=bureau_key, case_no=case, level=4, channel=channel)
    expected = bureau if department == 403 else 409  # the case is rated already when the department could
    assert second.status_code == expected, second.get_json()
    with db.connection_context():
        assert Rating.get().channel == channel


def test_a_department_cannot_key_in_a_paper_rating_and_lock_the_citizen_out(client, make, case):
    response = rate(client, make, case_no=case, level=5, channel="paper")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "channel_not_allowed"
    with db.connection_context():
        code = Case.by_case_no(case).rating_code
    page = client.get(f"/r/{code}").get_data(as_text=True)
    assert "请您对本次服务作出评价" in page and "已经评价过" not in page


def test_the_hotline_rates_a_case_of_any_department_as_pf_6(client, make, case, bureau_key):
    missing = rate(client, make, key=bureau_key, window_code="W04", level=3, channel="phone")
    assert missing.status_code == 422 and missing.get_json()["error"]["code"] == "missing_case_no"
    response = rate(client, make, key=bureau_key, case_no=case, level=2, labels=["202"], channel="phone")
    assert response.status_code == 201 and response.get_json()["ticket_no"]
    with db.connection_context():
        rating = Rating.get()
        assert (rating.channel, rating.department.code) == ("phone", "GAJ")
    assert client.application.config["SETTINGS"].upstream.pf["phone"] == 6


def test_a_bureau_key_keys_in_paper_forms_of_any_window(client, make, bureau_key):
    for window in ("W04", "W05"):
        assert rate(client, make, key=bureau_key, window_code=window, level=5, channel="paper").status_code == 201
    with db.connection_context():
        assert {r.department.code for r in Rating.select()} == {"GAJ", "RSJ"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"window_code": "W05"}, "window_code"),
        ({"staff_code": "S002"}, "staff_code"),
        ({"window_code": "W04", "staff_code": "S002"}, "staff_code"),
    ],
)
def test_a_department_key_rates_only_its_own_windows_and_staff(client, make, body, field):
    response = rate(client, make, level=5, channel="pad", **body)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("forbidden_department", field) and error["message"].startswith(field)


def test_a_department_key_rates_only_its_own_cases(client, make, case):
    response = rate(client, make, key=make.social_key, case_no=case, level=1, channel="pad")
    assert response.status_code == 403 and response.get_json()["error"]["field"] == "case_no"


def test_the_bureau_key_is_printed_by_the_command(runner, client, make):
    result = runner.invoke(args=["create-api-key", "--bureau", "--label", "纸质评价录入"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("hcp_") and " " not in key
    with db.connection_context():
        row = ApiKey.authenticate(key)
        assert row.bureau and row.department.code == "SPJ"
    assert rate(client, make, key=key, window_code="W05", level=4, channel="paper").status_code == 201
    assert runner.invoke(args=["create-api-key", "--bureau", "--dept", "GAJ"]).exit_code != 0
    assert runner.invoke(args=["create-api-key"]).exit_code != 0
    with db.connection_context():
        with pytest.raises(ValueError):
            ApiKey.issue(make.police, "not the bureau", bureau=True)
