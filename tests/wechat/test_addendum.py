"""追评 (the addendum) only by the first rater: the same WeChat user, the same device, or
the applicant's own phone (a new SMS); anyone else holding the rating code gets 403."""

from models import Case
from models import Rating
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from tests.web.helpers import create_case

from .fakes import login


def test_another_wechat_user_holding_the_code_is_refused(app, client, make):
    code = create_case(client, make)
    alice, mallory = login(client, name="alice"), login(client, name="mallory")
    assert client.post("/api/wx/ratings", json={"code": code, "level": 4}, headers=alice).status_code == 201
    stolen = client.post("/api/wx/ratings", json={"code": code, "level": 1, "addendum": True}, headers=mallory)
    assert stolen.status_code == 403
    error = stolen.get_json()["error"]
    assert error["code"] == "not_first_rater" and "首次评价的本人" in error["message"]
    own = client.post(
        "/api/wx/ratings", json={"code": code, "level": 2, "labels": ["202"], "addendum": True}, headers=alice
    )
    assert own.status_code == 201
    with db.connection_context():
        first, addendum = Rating.select().order_by(Rating.id)
    assert (first.sequence, addendum.sequence) == (1, 2) and first.rater_ref == addendum.rater_ref


def test_a_case_rated_by_sms_link_takes_no_wechat_addendum(app, client, make):
    code = create_case(client, make)
    with app.test_request_context(), db.connection_context():
        case = Case.by_rating_code(code)
        submit_rating(RatingRequest(level=5, channel="h5", case=case, rater_ref="browser:abc"))
    auth = login(client, name="bob")
    refused = client.post("/api/wx/ratings", json={"code": code, "level": 1, "addendum": True}, headers=auth)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_first_rater"
    # The applicant's own phone (a new SMS) may add it.
    with app.test_request_context(), db.connection_context():
        case = Case.by_rating_code(code)
        submit_rating(RatingRequest(level=3, channel="sms", case=case, rater_ref="sms:9", addendum=True))
        assert Rating.select().count() == 2


def test_another_device_key_is_refused(app, client, make):
    client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    body = {"case_no": "GA-2026-0001", "level": 4, "channel": "pad", "device_id": "pad-1"}
    assert client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key)).status_code == 201
    other = client.post(
        "/api/v1/ratings", json={**body, "device_id": "pad-2", "addendum": True}, headers=make.auth(make.police_key)
    )
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "not_first_rater"
    same = client.post("/api/v1/ratings", json={**body, "addendum": True}, headers=make.auth(make.police_key))
    assert same.status_code == 201
