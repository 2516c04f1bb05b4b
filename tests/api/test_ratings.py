"""POST /api/v1/ratings: device ratings through the rating core."""

import datetime

import pytest

from core import clock
from models import Case
from models import Outbox
from models import Rating
from models import Ticket
from models import db


@pytest.fixture
def case(client, make):
    response = client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    assert response.status_code == 201
    return "GA-2026-0001"


def rate(client, make, key=None, **body):
    body.setdefault("channel", "pad")
    return client.post("/api/v1/ratings", json=body, headers=make.auth(key or make.police_key))


def test_good_rating_of_a_case(client, make, case):
    response = rate(client, make, case_no=case, level=5, labels=["501", "502"], comment="  很好  ")
    assert response.status_code == 201
    body = response.get_json()
    assert body["is_bad"] is False and "ticket_no" not in body
    with db.connection_context():
        rating = Rating.get_by_id(body["rating_id"])
        assert rating.label_codes == ["501", "502"]
        assert rating.comment == "很好"
        assert rating.label_version == "2026.1"
        # Targets are denormalised from the case.
        assert (rating.department.code, rating.hall.code, rating.window.code, rating.staff.code) == (
            "GAJ",
            "SMZJ",
            "W04",
            "S001",
        )
        assert rating.item.code == "610118-GAJ-001"
        assert rating.sequence == 1
        assert Outbox.get(Outbox.kind == "upstream.rating").data == {"rating_id": rating.id}


def test_bad_rating_opens_a_ticket_for_the_handling_department(client, make, case):
    body = rate(client, make, case_no=case, level=2, labels=["202"], comment="排队两小时").get_json()
    assert body["is_bad"] is True
    assert body["ticket_no"] == f"CP20261126{body['rating_id']:06d}"
    with db.connection_context():
        ticket = Ticket.by_no(body["ticket_no"])
        assert ticket.department.code == "GAJ"
        assert ticket.state == "new"
        assert ticket.case.case_no == case
        # Thursday 26 Nov 2026 + 5 working days = Thursday 3 Dec.
        assert ticket.due_at == datetime.datetime(2026, 12, 3, 23, 59, 59)
    view = client.get(f"/api/v1/cases/{case}", headers=make.auth(make.police_key)).get_json()
    assert view["rating"]["is_bad"] is True
    assert view["ticket"] == {"ticket_no": body["ticket_no"], "state": "new", "due_at": "2026-12-03T23:59:59+08:00"}
    assert view["invitation"]["state"] == "rated"


def test_second_rating_of_a_case_is_refused_from_any_channel(client, make, case):
    assert rate(client, make, case_no=case, level=4).status_code == 201
    again = rate(client, make, case_no=case, level=1, channel="kiosk")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_rated"
    with db.connection_context():
        assert Rating.select().count() == 1
        assert Ticket.select().count() == 0
        assert Outbox.select().where(Outbox.kind == "upstream.rating").count() == 1


def test_one_addendum_is_allowed(client, make, case):
    assert rate(client, make, case_no=case, addendum=True, level=3).get_json()["error"]["code"] == "not_rated_yet"
    rate(client, make, case_no=case, level=4)
    addendum = rate(client, make, case_no=case, addendum=True, level=2, labels=["201"])
    assert addendum.status_code == 201
    assert addendum.get_json()["is_bad"] is True
    second = rate(client, make, case_no=case, addendum=True, level=5)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "already_has_addendum"
    with db.connection_context():
        assert [r.sequence for r in Rating.select().order_by(Rating.id)] == [1, 2]


def test_followup_is_still_read_as_the_deprecated_name_of_addendum(client, make, case):
    rate(client, make, case_no=case, level=4)
    assert rate(client, make, case_no=case, followup=True, level=3).status_code == 201
    with db.connection_context():
        assert [r.sequence for r in Rating.select().order_by(Rating.id)] == [1, 2]


def test_addendum_window_closes(client, make, case):
    rate(client, make, case_no=case, level=4)
    clock.freeze(datetime.datetime(2026, 12, 12, 10, 0))
    late = rate(client, make, case_no=case, addendum=True, level=5)
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "addendum_closed"


def test_case_can_no_longer_be_rated_after_the_rating_window(client, make, case):
    clock.freeze(datetime.datetime(2026, 12, 27, 10, 0))
    response = rate(client, make, case_no=case, level=5)
    assert response.status_code == 410
    assert response.get_json()["error"]["code"] == "rating_expired"


def test_window_and_staff_ratings_without_a_case(client, make):
    by_window = rate(client, make, window_code="W04", level=5, device_id="pad-w04")
    assert by_window.status_code == 201
    by_staff = rate(client, make, staff_code="S001", level=3)
    assert by_staff.status_code == 201
    with db.connection_context():
        first = Rating.get_by_id(by_window.get_json()["rating_id"])
        assert (first.case, first.window.code, first.hall.code, first.department.code) == (None, "W04", "SMZJ", "GAJ")
        assert first.rater_ref.endswith(":pad-w04")
        second = Rating.get_by_id(by_staff.get_json()["rating_id"])
        assert (second.staff.code, second.window.code) == ("S001", "W04")


def test_a_window_tablet_is_not_capped_like_a_citizen(client, make):
    for _ in range(5):
        assert rate(client, make, window_code="W04", level=5).status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"level": 0}, 422, "invalid_level"),
        ({"level": 6}, 422, "invalid_level"),
        ({"level": "5"}, 422, "invalid_level"),
        ({"level": 4.5}, 422, "invalid_level"),
        ({"level": True}, 422, "invalid_level"),
        ({"level": None}, 422, "invalid_level"),
        ({"level": 5, "labels": ["201"]}, 422, "unknown_label"),
        ({"level": 5, "labels": ["999"]}, 422, "unknown_label"),
        ({"level": 5, "labels": "501"}, 422, "invalid_labels"),
        ({"level": 5, "labels": [501]}, 422, "invalid_labels"),
        ({"level": 5, "comment": 5}, 422, "invalid_comment"),
        ({"level": 5, "comment": "长" * 501}, 422, "comment_too_long"),
        ({"level": 5, "channel": "sms"}, 422, "invalid_channel"),
        ({"level": 5, "channel": None}, 422, "invalid_channel"),
        ({"level": 5, "addendum": "yes"}, 422, "invalid_addendum"),
        ({"level": 5, "followup": "yes"}, 422, "invalid_addendum"),
        ({"level": 5, "device_id": "x" * 41}, 422, "invalid_device_id"),
        ({"level": 5, "case_no": None, "window_code": None}, 422, "missing_target"),
        ({"level": 5, "case_no": 42}, 422, "invalid_case_no"),
        ({"level": 5, "case_no": "NOPE"}, 404, "case_not_found"),
        ({"level": 5, "window_code": "NOPE", "case_no": None}, 422, "unknown_window"),
        ({"level": 5, "staff_code": "NOPE", "case_no": None}, 422, "unknown_staff"),
        ({"level": 5, "window_code": "W05", "case_no": None}, 403, "forbidden_department"),
        ({"level": 5, "staff_code": "S002", "case_no": None}, 403, "forbidden_department"),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_written(client, make, case, body, status, code):
    body = {"case_no": case, "channel": "pad", **body}
    if body.get("case_no") is None:
        body.pop("case_no")
    response = client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key))
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    with db.connection_context():
        assert Rating.select().count() == 0
        assert Outbox.select().where(Outbox.kind == "upstream.rating").count() == 0


def test_a_key_cannot_rate_another_departments_case(client, make, case):
    response = rate(client, make, key=make.social_key, case_no=case, level=1)
    assert response.status_code == 403
    with db.connection_context():
        assert Rating.select().count() == 0


def test_rating_needs_a_key(client, make, case):
    response = client.post("/api/v1/ratings", json={"case_no": case, "level": 5, "channel": "pad"})
    assert response.status_code == 401


def test_case_status_accepted_can_be_rated_on_the_spot(client, make):
    client.post(
        "/api/v1/cases",
        json=make.case_payload("A-1", status="accepted", completed_at=None),
        headers=make.auth(make.police_key),
    )
    assert rate(client, make, case_no="A-1", level=5).status_code == 201
    with db.connection_context():
        assert Case.by_case_no("A-1").status == "accepted"
