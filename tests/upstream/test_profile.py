"""The default profile's record, its configurable mapping, and the config checks."""

import uuid

import pytest

from core import config
from models import Department
from models import db
from upstream.profile import MappingError
from upstream.profile import Profile
from upstream.profile import RatingFacts
from upstream.push import current_profile


def load_rating(rating_id):
    return RatingFacts.load([rating_id])[rating_id]


def test_a_case_rating_as_the_default_profile_record(app, make, client, rate):
    client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    (rating_id,) = rate(1, level=4, labels=("401",), channel="wechat", comment="很好", case_no="GA-2026-0001")
    with app.app_context(), db.connection_context():
        record = current_profile().record(load_rating(rating_id), "610118-abc")
    assert record == {
        "evalId": "610118-abc",
        "projectNo": "GA-2026-0001",
        "taskCode": "610118-GAJ-001",
        "taskName": "居民身份证换领",
        "deptCode": "GAJ",
        "deptName": "区公安分局",
        "areaCode": "610118",
        "pf": 2,
        "satisfaction": 4,
        "evalDetail": "401",
        "writingEvaluation": "很好",
        "assessTime": "2026-11-26 10:00:00",
        "assessNumber": 1,
        "dataSource": "133",
        "effective": 1,
        "changeNo": 0,
    }


def test_an_addendum_is_assess_number_two(app, make, client, rate):
    client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    rate(1, channel="h5", case_no="GA-2026-0001")
    (addendum,) = rate(1, level=2, labels=("201", "202"), channel="sms", case_no="GA-2026-0001", addendum=True)
    with app.app_context(), db.connection_context():
        record = current_profile().record(load_rating(addendum), "x")
    assert (record["assessNumber"], record["pf"], record["satisfaction"], record["evalDetail"]) == (2, 7, 2, "201,202")


@pytest.mark.settings(
    {"upstream": {"satisfaction_order": "1_best", "label_codes": ["501=A01", "502=A02"], "pf": {"pad": 5}}}
)
def test_level_order_label_codes_and_channel_codes_come_from_the_profile(app, make, rate):
    (rating_id,) = rate(1, level=5, labels=("501", "502"))
    with db.connection_context():
        Department.update(credit_code="11610118MB1234567X").where(Department.id == make.police.id).execute()
    with app.app_context(), db.connection_context():
        record = current_profile().record(load_rating(rating_id), "x")
    assert record["satisfaction"] == 1  # GB/T 39046: 1 = 非常满意
    assert record["evalDetail"] == "A01,A02"
    assert record["pf"] == 5
    assert record["deptCode"] == "11610118MB1234567X"
    # A case-less on-site rating has no 办件.
    assert (record["projectNo"], record["taskCode"]) == ("", "")


def test_a_channel_without_a_pf_code_is_a_mapping_error(app, rate):
    (rating_id,) = rate(1)
    with app.app_context(), db.connection_context():
        profile = current_profile()
        narrowed = Profile(**{**profile.__dict__, "pf": {"wechat": 2}})
        with pytest.raises(MappingError, match="窗口评价器"):
            narrowed.record(load_rating(rating_id), "x")


def test_eval_ids_are_unique_and_carry_the_area_code(app):
    with app.app_context():
        profile = current_profile()
    ids = {profile.new_eval_id() for _ in range(100)}
    assert len(ids) == 100 and all(i.startswith("610118-") and len(i) <= 64 for i in ids)


def test_eval_ids_issued_in_bulk_are_random_uuids_like_one_at_a_time(app):
    with app.app_context():
        profile = current_profile()
    issued = profile.new_eval_ids(500)
    assert len(set(issued)) == 500 and profile.new_eval_ids(0) == []
    for eval_id in issued:
        area, text = eval_id.split("-", 1)
        assert area == "610118" and uuid.UUID(text).hex == text
        assert uuid.UUID(text).version == 4 and uuid.UUID(text).variant == uuid.RFC_4122


def test_the_default_pf_map_covers_every_channel():
    from models import CHANNELS

    assert set(config.DEFAULTS["upstream"]["pf"]) == set(CHANNELS)


@pytest.mark.parametrize(
    "upstream, message",
    [
        ({"pf": {"pad": 9}}, "upstream.pf.pad"),
        ({"label_codes": ["501"]}, "upstream.label_codes"),
        ({"signing": "md5"}, "upstream.signing"),
        ({"satisfaction_order": "up"}, "upstream.satisfaction_order"),
        ({"batch_size": 0}, "upstream.batch_size"),
        ({"query_url": "ftp://x"}, "upstream.query_url"),
        ({"enabled": True, "url": "http://c", "app_secret": "s", "signing": "sm2-sm3"}, "upstream.sm2_private_key"),
        ({"pf": {"fax": 1}}, "upstream.pf.fax: unknown key"),
    ],
)
def test_bad_upstream_settings_are_refused_by_name(upstream, message):
    with pytest.raises(config.ConfigError, match=message.replace(".", r"\.")):
        config.load({"upstream": upstream}, environ={})


@pytest.mark.parametrize(
    "jobs, message",
    [
        ({"intervals": ["upstream.push"]}, "jobs.intervals"),
        ({"intervals": ["upstream.push=0"]}, "jobs.intervals"),
        ({"threads": 0}, "jobs.threads"),
    ],
)
def test_bad_jobs_settings_are_refused_by_name(jobs, message):
    with pytest.raises(config.ConfigError, match=message.replace(".", r"\.")):
        config.load({"jobs": jobs}, environ={})
