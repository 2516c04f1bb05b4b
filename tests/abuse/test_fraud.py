"""Fraud screening in the rating core: refusals, flags, and the review."""

import datetime as dt

import pytest

from core import clock
from core.errors import ApiError
from figures.ratings import Filters
from figures.ratings import summary
from models import AuditLog
from models import Outbox
from models import Rating
from models import RatingFlag
from models import StaffIdentity
from models import Ticket
from models import User
from ratings import fraud

from .conftest import OFFICER_PHONE
from .conftest import police_case
from .conftest import rate

NOV = Filters(dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def counted() -> int:
    return summary(NOV)["rated"]


def test_a_staff_member_cannot_rate_a_case_they_handled_by_wechat(app, make, ctx, register):
    register(make.officer, "openid", "o-officer-openid")
    case = police_case(make)
    with pytest.raises(ApiError) as refused:
        rate(5, case=case, rater_ref="wx:o-officer-openid")
    assert (refused.value.code, refused.value.status) == ("staff_cannot_rate_own_case", 403)
    # Nothing of it is stored: no rating, no upstream row, the case can still be rated.
    assert Rating.select().count() == 0
    assert not Outbox.select().where(Outbox.kind == "upstream.rating").exists()
    assert rate(5, case=case, rater_ref="wx:citizen").rating.excluded is False


def test_another_staff_members_case_is_flagged_not_refused(app, make, ctx, register):
    register(make.clerk, "openid", "o-clerk-openid")
    case = police_case(make)
    result = rate(1, case=case, rater_ref="wx:o-clerk-openid", labels=["101"])
    rating = Rating.get_by_id(result.rating.id)
    assert rating.excluded and rating.excluded_reason.startswith("疑似刷评，待审核：")
    flag = RatingFlag.for_rating(rating)
    assert flag.rule_codes == ["staff_identity"] and flag.review_state == "pending"
    assert "李静" in flag.reason
    # The 差评 still reaches the department, and the city still receives the rating.
    assert result.ticket is not None and Ticket.for_rating(rating) is not None
    assert Outbox.select().where(Outbox.kind == "upstream.rating").count() == 1
    assert counted() == 0
    assert AuditLog.get(AuditLog.action == "rating.flag").target == f"rating:{rating.id}"


def test_the_case_applicants_phone_of_the_handler_is_refused_on_sms_and_the_link(app, make, ctx, register):
    register(make.officer, "phone", "139 1111 2222")
    case = police_case(make, phone=OFFICER_PHONE)
    for channel in ("h5", "sms"):
        with pytest.raises(ApiError) as refused:
            rate(5, channel=channel, case=case, rater_ref="sms:1")
        assert refused.value.code == "staff_cannot_rate_own_case"
    row = StaffIdentity.get()
    assert row.shown == "139****2222" and OFFICER_PHONE not in row.value and len(row.value) == 64


def test_a_phone_left_on_the_qr_page_ties_the_rater_to_staff(app, make, ctx, register):
    register(make.officer, "phone", OFFICER_PHONE)
    with pytest.raises(ApiError) as refused:
        rate(
            5,
            channel="qr",
            window=make.police_window,
            staff=make.officer,
            rater_ref="browser:a",
            rater_phone=OFFICER_PHONE,
        )
    assert refused.value.code == "staff_cannot_rate_own_case"
    # Rating a colleague's window with one's own phone: flagged.
    result = rate(5, channel="qr", window=make.social_window, rater_ref="browser:a", rater_phone=OFFICER_PHONE)
    assert RatingFlag.for_rating(result.rating).rule_codes == ["staff_identity"]


def test_a_staff_device_on_the_api_is_refused_for_own_cases(app, make, ctx, register):
    register(make.officer, "device", "PC-GAJ-07")
    case = police_case(make)
    with pytest.raises(ApiError) as refused:
        rate(5, channel="pc", case=case, rater_ref="device:abcd1234:PC-GAJ-07")
    assert refused.value.code == "staff_cannot_rate_own_case"
    # A tablet's device id is not registered: its ratings are not touched.
    assert RatingFlag.select().count() == 0
    assert rate(5, channel="pad", case=case, rater_ref="device:abcd1234:PAD-W04").rating.excluded is False


def test_ratings_from_a_staff_network_are_flagged(app, make, ctx, register):
    register(make.officer, "network", "10.12.0.0/16", note="公安分局办公网")
    flagged = rate(5, channel="qr", window=make.police_window, rater_ref="browser:a", client_ip="10.12.3.4")
    assert RatingFlag.for_rating(flagged.rating).rule_codes == ["staff_network"]
    assert "10.12.0.0/16" in RatingFlag.for_rating(flagged.rating).reason
    for address in ("10.13.0.1", "2001:db8::1", "garbage", None):
        result = rate(5, channel="qr", window=make.social_window, rater_ref=f"browser:{address}", client_ip=address)
        assert RatingFlag.for_rating(result.rating) is None


@pytest.mark.parametrize(("seconds", "flagged"), [(0, True), (9, True), (10, False), (300, False)])
def test_a_tablet_rating_seconds_after_completion_is_flagged(app, make, ctx, seconds, flagged):
    case = police_case(make, completed=clock.now())
    clock.freeze(clock.now() + dt.timedelta(seconds=seconds))
    result = rate(5, channel="pad", case=case, rater_ref="device:abcd1234")
    flag = RatingFlag.for_rating(result.rating)
    assert (flag is not None) is flagged
    if flagged:
        assert flag.rule_codes == ["pad_too_fast"] and result.rating.excluded
    # Other channels are not held to it.
    other = police_case(make, case_no="GA-2026-0002", completed=clock.now())
    assert RatingFlag.for_rating(rate(5, channel="wechat", case=other, rater_ref="wx:x").rating) is None


def test_bursts_of_identical_ratings_from_one_device_are_flagged(app, make, ctx):
    start = clock.now()
    flags = []
    for n in range(7):
        clock.freeze(start + dt.timedelta(minutes=n))
        result = rate(5, channel="pad", window=make.police_window, rater_ref="device:abcd1234:PAD-1")
        flags.append(RatingFlag.for_rating(result.rating))
    assert [f is not None for f in flags] == [False] * 5 + [True, True]
    assert flags[5].rule_codes == ["burst"] and "10 分钟内相同等级的评价超过 5 条" in flags[5].reason
    assert flags[6].reason == flags[5].reason  # counted up to one past the limit: all the rule needs
    # Another level, another window, another device, or after the burst window: not flagged.
    checks = [
        dict(level=4, window=make.police_window, rater_ref="device:abcd1234:PAD-1"),
        dict(level=5, window=make.social_window, rater_ref="device:abcd1234:PAD-1"),
        dict(level=5, window=make.police_window, rater_ref="device:abcd1234:PAD-2"),
    ]
    for kw in checks:
        assert RatingFlag.for_rating(rate(channel="pad", **kw).rating) is None
    clock.freeze(start + dt.timedelta(minutes=30))
    assert (
        RatingFlag.for_rating(
            rate(5, channel="pad", window=make.police_window, rater_ref="device:abcd1234:PAD-1").rating
        )
        is None
    )


def test_the_burst_count_reads_one_rater_and_level_and_stops_past_the_limit(app, make, ctx):
    start = clock.now()
    for n in range(4):
        clock.freeze(start + dt.timedelta(seconds=n))
        rate(5, channel="pad", window=make.police_window, rater_ref="device:abcd1234:PAD-1")
    rate(4, channel="pad", window=make.police_window, rater_ref="device:abcd1234:PAD-1")
    rate(5, channel="pad", window=make.social_window, rater_ref="device:abcd1234:PAD-1")
    until, since = start + dt.timedelta(minutes=1), start - dt.timedelta(minutes=1)
    ref, window = "device:abcd1234:PAD-1", make.police_window.id
    assert Rating.recent_count(ref, 5, since, until, True, window) == 4
    assert Rating.recent_count(ref, 5, since, until, True, window, cap=2) == 2
    assert Rating.recent_count(ref, 5, since, until) == 5  # every window
    assert Rating.recent_count(ref, 4, since, until, True, window) == 1
    assert Rating.recent_count(ref, 5, since, until, True, None) == 0  # no window is its own group
    assert Rating.recent_count(ref, 5, start + dt.timedelta(seconds=1), until, True, window) == 2  # (since, until]


def test_a_registered_identity_applies_at_once_here_and_within_the_ttl_elsewhere(app, make, ctx, monkeypatch):
    import time

    from models.staff_identity import REGISTRY_TTL

    case = police_case(make)
    assert StaffIdentity.matching([("openid", "o-officer-openid")], False) == []  # cached: none registered
    # Another process registers it: this one screens with its cached registry until the TTL ends.
    StaffIdentity.create(staff=make.officer, kind="openid", value="o-officer-openid", shown="o-officer-openid")
    assert StaffIdentity.matching([("openid", "o-officer-openid")], False) == []
    later = time.monotonic() + REGISTRY_TTL + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    with pytest.raises(ApiError) as refused:
        rate(5, case=case, rater_ref="wx:o-officer-openid")
    assert refused.value.code == "staff_cannot_rate_own_case"


@pytest.mark.settings({"ratings": {"onsite_daily_limit": 50}})
def test_bursts_from_one_wechat_user_are_flagged_but_paper_forms_are_not(app, make, ctx):
    for _ in range(6):
        result = rate(5, channel="wechat", window=make.police_window, rater_ref="wx:stuffer")
    assert RatingFlag.for_rating(result.rating).rule_codes == ["burst"]
    for _ in range(8):
        result = rate(5, channel="paper", window=make.police_window, rater_ref="device:paper-2026-11")
    assert RatingFlag.select().count() == 1


@pytest.mark.settings({"fraud": {"burst_count": 2, "burst_minutes": 1, "pad_min_seconds": 60}})
def test_the_thresholds_come_from_the_configuration(app, make, ctx):
    for _ in range(3):
        result = rate(5, channel="qr", window=make.police_window, rater_ref="browser:z")
    assert RatingFlag.for_rating(result.rating).rule_codes == ["burst"]
    case = police_case(make, completed=clock.now() - dt.timedelta(seconds=45))
    assert RatingFlag.for_rating(rate(5, channel="pad", case=case, rater_ref="device:k").rating).rule_codes == [
        "pad_too_fast"
    ]


def test_review_genuine_counts_the_rating_rejected_keeps_it_out(app, make, ctx, registrar):
    register_network = fraud.register_identity(make.officer, "network", "10.1.0.0/16", "", registrar)
    assert register_network.shown == "10.1.0.0/16"
    a = rate(5, channel="qr", window=make.police_window, rater_ref="browser:a", client_ip="10.1.1.1").rating
    b = rate(4, channel="qr", window=make.police_window, rater_ref="browser:b", client_ip="10.1.1.2").rating
    assert counted() == 0
    fraud.review(RatingFlag.for_rating(a), registrar, "genuine", "")
    assert counted() == 1 and Rating.get_by_id(a.id).excluded_reason is None
    with pytest.raises(ApiError) as missing:
        fraud.review(RatingFlag.for_rating(b), registrar, "rejected", "  ")
    assert missing.value.code == "missing_note"
    fraud.review(RatingFlag.for_rating(b), registrar, "rejected", "窗口人员引导同事评价")
    rating = Rating.get_by_id(b.id)
    assert rating.excluded and rating.excluded_reason == "刷评审核不通过：窗口人员引导同事评价"
    assert counted() == 1
    flag = RatingFlag.for_rating(b)
    assert (flag.review_state, flag.reviewed_by_id, flag.reviewed_at) == ("rejected", registrar.id, clock.now())
    with pytest.raises(ApiError) as again:
        fraud.review(flag, registrar, "genuine", "")
    assert (again.value.code, again.value.status) == ("already_reviewed", 409)
    with pytest.raises(ApiError):
        fraud.review(flag, registrar, "maybe", "")
    actions = [r.action for r in AuditLog.select().where(AuditLog.actor == "user:registrar")]
    assert actions == ["staff_identity.create", "rating.flag_genuine", "rating.flag_rejected"]


def test_a_genuine_review_leaves_another_exclusion_alone(app, make, ctx, registrar):
    fraud.register_identity(make.officer, "network", "10.1.0.0/16", "", registrar)
    rating = rate(1, channel="qr", window=make.police_window, rater_ref="browser:a", client_ip="10.1.1.1").rating
    Rating.update(excluded_reason="申诉核实通过").where(Rating.id == rating.id).execute()
    fraud.review(RatingFlag.for_rating(rating), User.get_by_id(registrar.id), "genuine", "")
    assert Rating.get_by_id(rating.id).excluded_reason == "申诉核实通过"


def test_the_registry_checks_what_it_is_given(app, make, ctx, registrar):
    bad = [
        ("phone", "1234"),
        ("openid", "a b"),
        ("device", "x" * 41),
        ("network", "10.0.0.0/8x"),
        ("network", "10.0.0.0/15"),
        ("fax", "1"),
    ]
    for kind, value in bad:
        with pytest.raises(ApiError) as refused:
            fraud.register_identity(make.officer, kind, value, "", registrar)
        assert refused.value.status == 422, (kind, value)
    fraud.register_identity(make.officer, "network", "192.168.1.7", "", registrar)
    with pytest.raises(ApiError) as twice:
        fraud.register_identity(make.clerk, "network", "192.168.1.7/32", "", registrar)
    assert twice.value.code == "already_registered"
    row = StaffIdentity.get()
    fraud.remove_identity(row, registrar)
    assert StaffIdentity.select().count() == 0
    assert AuditLog.select().where(AuditLog.action == "staff_identity.delete").count() == 1
