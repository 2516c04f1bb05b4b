"""POST/GET /api/v1/cases and the batch: success, idempotency and bad input."""

import json

import pytest

from models import Case
from models import Hall
from models import Invitation
from models import Item
from models import OptOut
from models import Outbox
from models import db


def post(client, make, payload, key=None):
    return client.post("/api/v1/cases", json=payload, headers=make.auth(key or make.police_key))


def test_create_then_update_is_idempotent(client, make):
    first = post(client, make, make.case_payload())
    assert first.status_code == 201
    body = first.get_json()
    assert body["case_no"] == "GA-2026-0001"
    assert body["invitation"] == "scheduled"
    assert body["rating_url"] == f"https://hcp.example.cn/r/{body['rating_code']}"

    again = post(client, make, make.case_payload())
    assert again.status_code == 200
    assert again.get_json() == body
    with db.connection_context():
        assert Case.select().count() == 1
        assert Invitation.select().count() == 1
        assert Outbox.select().where(Outbox.kind == "sms.invite").count() == 1


def test_rating_code_is_short_unguessable_and_stable(client, make):
    codes = set()
    for n in range(50):
        codes.add(post(client, make, make.case_payload(f"GA-{n}")).get_json()["rating_code"])
    assert len(codes) == 50
    for code in codes:
        # 9 symbols of a 32-symbol alphabet: 45 random bits.
        assert len(code) == 9 and code.isalnum() and not set(code) & set("01OI")


def test_accepted_then_completed_schedules_one_invitation(client, make):
    accepted = post(client, make, make.case_payload(status="accepted", completed_at=None))
    assert accepted.status_code == 201
    assert accepted.get_json()["invitation"] == "none"
    completed = post(client, make, make.case_payload())
    assert completed.status_code == 200
    assert completed.get_json()["invitation"] == "scheduled"
    view = client.get("/api/v1/cases/GA-2026-0001", headers=make.auth(make.police_key)).get_json()
    assert view["status"] == "completed"
    assert view["invitation"] == {"state": "scheduled", "channel": "sms", "sent_at": None}


def test_late_accepted_message_does_not_reopen_a_completed_case(client, make):
    post(client, make, make.case_payload())
    late = post(client, make, make.case_payload(status="accepted", completed_at=None))
    assert late.status_code == 200
    with db.connection_context():
        case = Case.get()
        assert case.status == "completed"
        assert case.completed_at.isoformat() == "2026-11-26T09:40:00"


def test_times_with_any_offset_are_stored_in_beijing_time(client, make):
    post(client, make, make.case_payload(completed_at="2026-11-26T01:40:00Z"))
    view = client.get("/api/v1/cases/GA-2026-0001", headers=make.auth(make.police_key)).get_json()
    assert view["completed_at"] == "2026-11-26T09:40:00+08:00"


def test_no_phone_means_no_invitation(client, make):
    body = post(client, make, make.case_payload(applicant={"name": "张三"})).get_json()
    assert body["invitation"] == "none"


def test_opted_out_phone_gets_no_invitation(client, make):
    with db.connection_context():
        OptOut.create(phone="13800138000")
    body = post(client, make, make.case_payload(applicant={"phone": "+86 138-0013-8000"})).get_json()
    assert body["invitation"] == "opted_out"
    with db.connection_context():
        assert Invitation.select().count() == 0
        assert Outbox.select().count() == 0


def test_already_rated_case_reports_it(client, make):
    post(client, make, make.case_payload(applicant=None))
    client.post(
        "/api/v1/ratings",
        json={"case_no": "GA-2026-0001", "level": 5, "channel": "pad"},
        headers=make.auth(make.police_key),
    )
    body = post(client, make, make.case_payload()).get_json()
    assert body["invitation"] == "already_rated"


@pytest.mark.settings({"sms": {"invite_delay_minutes": 30}})
def test_invitation_waits_for_the_configured_delay(client, make):
    post(client, make, make.case_payload())
    with db.connection_context():
        invitation = Invitation.get()
        assert invitation.send_after.isoformat() == "2026-11-26T10:10:00"
        assert Outbox.get().available_at == invitation.send_after


def test_case_completed_too_long_ago_gets_no_invitation(client, make):
    body = post(client, make, make.case_payload(completed_at="2026-09-01T10:00:00+08:00")).get_json()
    assert body["invitation"] == "none"


def test_unknown_item_with_a_name_is_registered_for_coverage(client, make):
    response = post(client, make, make.case_payload(item_code="610118-GAJ-999", item_name="临时身份证办理"))
    assert response.status_code == 201
    with db.connection_context():
        item = Item.by_code("610118-GAJ-999")
        assert item.name == "临时身份证办理" and item.source == "api" and item.department.code == "GAJ"


def test_key_writes_only_its_own_department(client, make):
    foreign = post(client, make, make.case_payload(dept_code="RSJ", item_code="610118-RSJ-001"))
    assert foreign.status_code == 403
    assert foreign.get_json()["error"]["code"] == "forbidden_department"
    post(client, make, make.case_payload())
    own_refs = {"dept_code": "RSJ", "item_code": "610118-RSJ-001", "window_code": "W05", "staff_code": "S002"}
    hijack = post(client, make, make.case_payload(**own_refs), key=make.social_key)
    assert hijack.status_code == 403
    with db.connection_context():
        assert Case.get().department.code == "GAJ"


def test_get_case_of_another_department_is_not_found(client, make):
    post(client, make, make.case_payload())
    response = client.get("/api/v1/cases/GA-2026-0001", headers=make.auth(make.social_key))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "case_not_found"
    assert client.get("/api/v1/cases/NOPE", headers=make.auth(make.police_key)).status_code == 404


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer hcp_deadbeef_nope"}, "invalid_api_key"),
        ({"Authorization": "Basic abc"}, "missing_api_key"),
        ({"Authorization": "Bearer garbage"}, "invalid_api_key"),
    ],
)
def test_missing_or_wrong_key_is_401(client, make, headers, code):
    response = client.post("/api/v1/cases", json=make.case_payload(), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"case_no": ""}, 422, "invalid_case_no"),
        ({"case_no": 12345}, 422, "invalid_case_no"),
        ({"case_no": "x" * 65}, 422, "invalid_case_no"),
        ({"case_no": "有 空格"}, 422, "invalid_case_no"),
        ({"item_code": None}, 422, "invalid_item_code"),
        ({"item_code": "610118-NOPE"}, 422, "unknown_item"),
        ({"item_code": "610118-NOPE", "item_name": ""}, 422, "unknown_item"),
        ({"dept_code": None}, 422, "invalid_dept_code"),
        ({"hall_code": "NOPE"}, 422, "unknown_hall"),
        ({"window_code": "NOPE"}, 422, "unknown_window"),
        ({"window_code": "W05", "hall_code": "NOPE"}, 422, "unknown_hall"),
        ({"staff_code": "NOPE"}, 422, "unknown_staff"),
        ({"staff_code": "S002"}, 422, "staff_not_in_department"),
        ({"mode": "fax"}, 422, "invalid_mode"),
        ({"status": "rejected"}, 422, "invalid_status"),
        ({"status": None}, 422, "invalid_status"),
        ({"completed_at": "yesterday"}, 422, "invalid_completed_at"),
        ({"accepted_at": 1732600000}, 422, "invalid_accepted_at"),
        ({"applicant": "张三"}, 422, "invalid_applicant"),
        ({"applicant": {"phone": "12345"}}, 422, "invalid_phone"),
        ({"applicant": {"phone": 13800138000}}, 422, "invalid_phone"),
        ({"applicant": {"type": "robot"}}, 422, "invalid_applicant_type"),
        ({"applicant": {"name": ["张三"]}}, 422, "invalid_applicant_name"),
        ({"applicant": {"id_number": "110105194912310021"}}, 422, "invalid_id_number"),
        ({"applicant": {"id_number": 110105194912310021}}, 422, "invalid_id_number"),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_written(client, make, changes, status, code):
    response = post(client, make, make.case_payload(**changes))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]
    with db.connection_context():
        assert Case.select().count() == 0
        assert Outbox.select().count() == 0


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2", b"null"])
def test_malformed_json_is_400(client, make, body):
    response = client.post(
        "/api/v1/cases", data=body, headers={**make.auth(make.police_key), "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.is_json
    assert "code" in response.get_json()["error"]


def test_non_object_body_is_422(client, make):
    response = post(client, make, [make.case_payload()])
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_body"


def test_oversize_body_is_413_json(client, make):
    payload = make.case_payload(item_name="x" * (3 * 1024 * 1024))
    response = post(client, make, payload)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_batch_answers_each_element_in_order(client, make):
    payload = [
        make.case_payload("B-1"),
        make.case_payload("B-2", status="bogus"),
        "not an object",
        make.case_payload("B-1"),
        make.case_payload("B-3", dept_code="RSJ"),
    ]
    response = client.post("/api/v1/cases/batch", json=payload, headers=make.auth(make.police_key))
    assert response.status_code == 200
    results = response.get_json()
    assert [r["status"] for r in results] == [201, 422, 422, 200, 403]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert results[0]["case_no"] == "B-1" and results[0]["rating_code"] == results[3]["rating_code"]
    assert results[1]["error"]["code"] == "invalid_status"
    with db.connection_context():
        assert [c.case_no for c in Case.select().order_by(Case.id)] == ["B-1"]


def test_batch_limits(client, make):
    headers = make.auth(make.police_key)
    assert client.post("/api/v1/cases/batch", json={"a": 1}, headers=headers).status_code == 422
    too_many = [{"case_no": f"X{n}"} for n in range(1001)]
    response = client.post("/api/v1/cases/batch", json=too_many, headers=headers)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "batch_too_large"


def test_batch_of_a_thousand(client, make):
    payload = [make.case_payload(f"K-{n}") for n in range(1000)]
    response = client.post(
        "/api/v1/cases/batch",
        data=json.dumps(payload),
        content_type="application/json",
        headers=make.auth(make.police_key),
    )
    assert response.status_code == 200
    assert {r["status"] for r in response.get_json()} == {201}
    with db.connection_context():
        assert Case.select().count() == 1000
        assert Invitation.select().count() == 1000


def test_personal_data_is_kept_in_its_named_fields(client, make):
    applicant = {"name": " 张三 ", "phone": "138 0013 8000", "type": "person", "id_number": "11010519491231002x"}
    post(client, make, make.case_payload(applicant=applicant))
    with db.connection_context():
        case = Case.get()
        assert (case.applicant_name, case.applicant_phone, case.applicant_id_number) == (
            "张三",
            "13800138000",
            "11010519491231002X",
        )
    # An update that leaves the applicant out keeps what is stored.
    post(client, make, make.case_payload(applicant=None))
    with db.connection_context():
        assert Case.get().applicant_phone == "13800138000"


def test_batch_repeats_a_case_in_order_and_answers_like_the_single_path(client, make):
    headers = make.auth(make.police_key)
    client.post("/api/v1/cases", json=make.case_payload("R-1", applicant=None), headers=headers)
    client.post("/api/v1/ratings", json={"case_no": "R-1", "level": 5, "channel": "pad"}, headers=headers)
    with db.connection_context():
        OptOut.create(phone="13900139000")
    payload = [
        make.case_payload("D-1", status="accepted", completed_at=None),
        make.case_payload("D-1"),
        make.case_payload("R-1"),
        make.case_payload("O-1", applicant={"phone": "13900139000"}),
        make.case_payload("N-1", applicant={"name": "李四"}),
    ]
    results = client.post("/api/v1/cases/batch", json=payload, headers=headers).get_json()
    assert [(r["status"], r["invitation"]) for r in results] == [
        (201, "none"),
        (200, "scheduled"),
        (200, "already_rated"),
        (201, "opted_out"),
        (201, "none"),
    ]
    assert results[0]["rating_code"] == results[1]["rating_code"]
    with db.connection_context():
        assert Case.by_case_no("D-1").status == "completed"
        assert Invitation.select().count() == 1
        assert Outbox.select().where(Outbox.kind == "sms.invite").count() == 1
    # The same batch again changes nothing twice.
    again = client.post("/api/v1/cases/batch", json=payload, headers=headers).get_json()
    assert [r["status"] for r in again] == [200, 200, 200, 200, 200]
    with db.connection_context():
        assert Case.select().count() == 4
        assert Invitation.select().count() == 1


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"window_code": "W05", "hall_code": None}, "window_not_in_department", "window_code"),
        ({"item_code": "610118-RSJ-001"}, "item_not_in_department", "item_code"),
        ({"hall_code": "RSJ-DT", "window_code": None}, "hall_not_in_department", "hall_code"),
        ({"staff_code": "S002"}, "staff_not_in_department", "staff_code"),
    ],
)
def test_every_reference_of_a_case_must_be_the_departments(client, make, changes, code, field):
    with db.connection_context():
        Hall.create(code="RSJ-DT", name="区人社局社保服务大厅", department=make.social)
    response = post(client, make, make.case_payload(**changes))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == (code, field) and error["message"].startswith(field)
    with db.connection_context():
        assert Case.select().count() == 0
    # The batch refuses the element the same way, and takes the others.
    batch = client.post(
        "/api/v1/cases/batch",
        json=[make.case_payload("B-1", **changes), make.case_payload("B-2")],
        headers=make.auth(make.police_key),
    ).get_json()
    assert (batch[0]["status"], batch[0]["error"]["code"], batch[1]["status"]) == (422, code, 201)


def test_the_bureaus_shared_hall_is_open_to_every_department(client, make):
    # 鄠邑市民之家 (SMZJ) is the bureau's: the police report cases at their window there.
    response = post(client, make, make.case_payload(hall_code="SMZJ", window_code="W04"))
    assert response.status_code == 201
