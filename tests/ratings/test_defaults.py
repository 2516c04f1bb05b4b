"""系统默认评价: off by default; when configured, a completed case unrated after N days gets
基本满意 from the system — marked, left out of 主动评价好评率, counted as 未评, and pushed
upstream with the profile's default-rating code."""

import datetime as dt

import pytest

from cases.intake import upsert_case
from core import clock
from figures import ratings as figures
from figures.ratings import Filters
from models import Case
from models import Outbox
from models import Rating
from ratings import defaults
from ratings.core import RatingRequest
from ratings.core import submit_rating
from upstream.profile import Profile
from upstream.profile import RatingFacts

NOV = Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))


def case(make, number, completed):
    payload = make.case_payload(f"GA-D-{number}", completed_at=completed.isoformat() + "+08:00")
    payload["accepted_at"] = (completed - dt.timedelta(hours=1)).isoformat() + "+08:00"
    clock.freeze(completed)
    upsert_case(payload, make.police)
    return Case.by_case_no(f"GA-D-{number}")


def test_off_by_default(ctx, make):
    case(make, 1, dt.datetime(2026, 11, 2, 10))
    clock.freeze(dt.datetime(2026, 11, 26, 10))
    assert defaults.apply_default_ratings() == 0 and Rating.select().count() == 0


@pytest.mark.settings({"ratings": {"default_rating_days": 7}, "upstream": {"pf": {"default": 7, "sms": 6}}})
def test_a_case_unrated_after_n_days_gets_basic_satisfaction_from_the_system(ctx, make, app):
    old = case(make, 1, dt.datetime(2026, 11, 2, 10))  # unrated for 24 days
    fresh = case(make, 2, dt.datetime(2026, 11, 22, 10))  # 4 days: the citizen may still rate
    rated = case(make, 3, dt.datetime(2026, 11, 3, 10))
    clock.freeze(dt.datetime(2026, 11, 3, 12))
    submit_rating(RatingRequest(level=5, channel="sms", case=rated, rater_ref=f"sms:{rated.id}"))
    clock.freeze(dt.datetime(2026, 11, 26, 10))
    assert defaults.apply_default_ratings() == 1
    assert defaults.apply_default_ratings() == 0  # once
    given = Rating.get(Rating.case == old)
    assert (given.level, given.channel, given.rater_ref, given.is_bad) == (3, "default", "system:default", False)
    assert not given.excluded  # never taken for a fraud burst: the system is not a rater
    assert Rating.first_for_case(fresh) is None
    # In 评价数 and 好评率; out of 主动评价好评率; its case is 未评.
    s = figures.summary(NOV)
    assert (s["rated"], s["default_rated"], s["active_rated"]) == (2, 1, 1)
    assert (s["good_rate"], s["active_good_rate"]) == (100.0, 100.0)
    assert (s["completed"], s["unrated"]) == (3, 2)  # the fresh case and the default-rated one
    # Pushed upstream like any rating, with the profile's default-rating code.
    assert Outbox.select().where(Outbox.dedupe_key == f"rating:{given.id}").exists()
    profile = Profile.from_settings(app.config["SETTINGS"].upstream)
    record = profile.record(RatingFacts.load([given.id])[given.id], "e1")
    assert (record["pf"], record["satisfaction"]) == (7, 3)


@pytest.mark.settings({"ratings": {"default_rating_days": 7}})
def test_a_default_rating_with_a_basic_level_that_is_not_good(ctx, make):
    """With `figures.good_includes_basic = false` the default 基本满意 is no 好评 either."""
    case(make, 1, dt.datetime(2026, 11, 2, 10))
    clock.freeze(dt.datetime(2026, 11, 26, 10))
    defaults.apply_default_ratings()
    assert figures.summary(NOV)["active_good_rate"] is None  # no active rating at all
