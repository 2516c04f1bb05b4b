"""The rating core's rules, called directly as a channel would."""

import datetime

import pytest

from core import clock
from core.errors import ApiError
from models import LabelSet
from models import Rating
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating


def qr(make, rater="browser:abc", window=None, level=5, **kw):
    return submit_rating(
        RatingRequest(level=level, channel="qr", window=window or make.police_window, rater_ref=rater, **kw)
    )


def test_onsite_ratings_are_capped_per_rater_window_and_day(app, make, ctx):
    for _ in range(3):
        qr(make)
    with pytest.raises(ApiError) as refused:
        qr(make)
    assert (refused.value.code, refused.value.status) == ("rating_limit_reached", 429)
    # Another window, another rater, another day: each has its own allowance.
    qr(make, window=make.social_window)
    qr(make, rater="browser:other")
    clock.freeze(datetime.datetime(2026, 11, 27, 9, 0))
    qr(make)
    assert Rating.select().count() == 6
    assert sorted({r.onsite_slot for r in Rating.select()}) == [1, 2, 3]


def test_onsite_rating_needs_a_rater(app, make, ctx):
    with pytest.raises(ApiError) as refused:
        qr(make, rater=None)
    assert refused.value.code == "missing_rater"


def test_onsite_rating_of_staff_at_another_window_is_refused(app, make, ctx):
    with pytest.raises(ApiError) as refused:
        submit_rating(
            RatingRequest(level=5, channel="qr", window=make.social_window, staff=make.officer, rater_ref="browser:x")
        )
    assert refused.value.code == "staff_not_at_window"


def test_labels_follow_the_current_dictionary_version(app, make, ctx):
    with db.atomic():
        LabelSet.update(active=False).execute()
        new = LabelSet.create(version="2027.1", active=True)
        new.labels.model.create(label_set=new, level=5, code="511", text="主动服务")
    with pytest.raises(ApiError) as refused:
        qr(make, labels=["501"])
    assert refused.value.code == "unknown_label"
    result = qr(make, labels=["511"])
    assert result.rating.label_version == "2027.1"


def test_without_a_dictionary_nothing_can_be_rated(app, make, ctx):
    LabelSet.update(active=False).execute()
    with pytest.raises(ApiError) as refused:
        qr(make)
    assert refused.value.code == "no_label_dictionary"


def test_unknown_channel_is_refused(app, make, ctx):
    with pytest.raises(ApiError) as refused:
        submit_rating(RatingRequest(level=5, channel="fax", window=make.police_window, rater_ref="x"))
    assert refused.value.code == "invalid_channel"


def test_comment_control_characters_are_dropped(app, make, ctx):
    result = qr(make, comment="好\x00评\x1b[31m\n谢谢")
    assert result.rating.comment == "好评[31m\n谢谢"


@pytest.mark.parametrize("level", [1, 2])
def test_levels_one_and_two_are_bad_reviews(app, make, ctx, level):
    result = qr(make, level=level)
    assert result.rating.is_bad and result.ticket is not None
    assert result.ticket.department_id == make.police.id


@pytest.mark.parametrize("level", [3, 4, 5])
def test_levels_three_to_five_are_not_bad(app, make, ctx, level):
    result = qr(make, level=level)
    assert not result.rating.is_bad and result.ticket is None
