"""figures.ratings: 好评率, 主动评价好评率, 未评率, 差评数, rankings, trend, per department."""

import datetime as dt

import pytest

from figures import ratings as figures
from figures.ratings import Filters
from models import Rating

NOV = Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 12, 1))
AT = dt.datetime(2026, 11, 20, 10, 0)


def test_summary_counts_levels_rates_and_unrated(ctx, make, ratings):
    for level in (5, 5, 4, 3, 2, 1):
        ratings.rate(level, at=AT)
    ratings.case(completed=AT)  # completed, never rated
    ratings.case(completed=AT)
    s = figures.summary(NOV)
    assert (s["rated"], s["good"], s["basic"], s["bad"]) == (6, 4, 1, 2)
    assert s["good_rate"] == 66.67  # 基本满意 is 好评 (the seed: only the last two levels are 差评)
    assert s["bad_rate"] == 33.33
    assert s["active_good_rate"] == 66.67  # no system default rating
    assert (s["completed"], s["unrated"], s["unrated_rate"]) == (8, 2, 25.0)


@pytest.mark.settings({"figures": {"good_includes_basic": False}})
def test_basic_is_not_good_when_configured(ctx, make, ratings):
    for level in (5, 3, 1, 1):
        ratings.rate(level, at=AT)
    summary = figures.summary(NOV)
    assert (summary["good_rate"], summary["bad_rate"]) == (25.0, 50.0)


def test_excluded_ratings_and_other_periods_do_not_count(ctx, make, ratings):
    kept = ratings.rate(5, at=AT).rating
    gone = ratings.rate(1, at=AT).rating
    ratings.rate(1, at=dt.datetime(2026, 10, 31, 23, 59))
    Rating.update(excluded=True, excluded_reason="申诉通过").where(Rating.id == gone.id).execute()
    s = figures.summary(NOV)
    assert (s["rated"], s["bad"], s["good_rate"]) == (1, 0, 100.0)
    # The excluded rating's case still counts as rated: the citizen did rate it.
    assert s["unrated"] == 0
    assert kept.id


def test_filters_by_department_channel_and_window(ctx, make, ratings):
    ratings.rate(5, at=AT, channel="sms")
    ratings.rate(1, at=AT, channel="h5")
    ratings.rate(2, dept="social", at=AT)
    assert figures.summary(Filters(NOV.start, NOV.end, department_id=make.police.id))["rated"] == 2
    assert figures.summary(Filters(NOV.start, NOV.end, channel="h5"))["bad"] == 1
    assert figures.summary(Filters(NOV.start, NOV.end, window_id=make.social_window.id))["rated"] == 1
    assert figures.level_distribution(NOV) == {5: 1, 4: 0, 3: 0, 2: 1, 1: 1}
    assert dict(figures.channel_mix(NOV)) == {"sms": 2, "h5": 1}


def test_ranking_leaves_out_small_samples_and_shows_n(ctx, make, ratings):
    for _ in range(3):
        ratings.rate(5, at=AT)
    ratings.rate(2, at=AT)
    ratings.rate(5, dept="social", at=AT)
    result = figures.ranking(NOV, "department", min_sample=3)
    assert [(r["name"], r["rated"], r["good_rate"], r["rank"]) for r in result["rows"]] == [("区公安分局", 4, 75.0, 1)]
    assert result["too_small"] == 1
    assert [(r["name"], r["rated"]) for r in result["unranked"]] == [("区人社局", 1)]
    assert "rank" not in result["unranked"][0]
    both = figures.ranking(NOV, "window", min_sample=1)["rows"]
    assert [r["name"] for r in both] == ["社保业务窗口", "户籍业务窗口"]


def test_monthly_trend_and_by_department(ctx, make, ratings):
    ratings.rate(5, at=dt.datetime(2026, 10, 5, 9))
    ratings.rate(1, at=dt.datetime(2026, 11, 5, 9))
    ratings.rate(4, at=dt.datetime(2026, 11, 6, 9))
    trend = figures.monthly_trend(Filters(dt.date(2026, 10, 1), dt.date(2026, 12, 1)))
    assert trend == [
        {"month": "2026-10", "rated": 1, "good_rate": 100.0, "bad": 0},
        {"month": "2026-11", "rated": 2, "good_rate": 50.0, "bad": 1},
    ]
    rows = {r["department"].code: r for r in figures.by_department(NOV)}
    assert rows["GAJ"]["levels"] == {5: 0, 4: 1, 3: 0, 2: 0, 1: 1}
    assert rows["RSJ"]["rated"] == 0 and rows["RSJ"]["good_rate"] is None
    assert list(rows) == ["SPJ", "GAJ", "RSJ", "GTJD"]  # district first, then towns


@pytest.mark.settings({"figures": {"min_ranking_sample": 2}})
def test_dashboard_shows_the_figures_of_the_users_scope(app, login, make, ratings):
    from models import db

    with app.app_context(), db.connection_context():
        for level in (5, 4, 1):
            ratings.rate(level, at=AT)
        ratings.rate(5, dept="social", at=AT)
    bureau = login("bureau").get("/admin/?month=2026-11").get_data(as_text=True)
    assert '<div class="v" id="m-rated">4</div>' in bureau
    assert "区公安分局" in bureau.split('id="ranking"')[1].split("</tbody>")[0]
    assert "样本不足" in bureau  # 区人社局 with one rating is listed, unranked
    police = login("police_staff").get("/admin/?month=2026-11").get_data(as_text=True)
    assert '<div class="v" id="m-rated">3</div>' in police and '<div class="v" id="m-bad">1</div>' in police
    assert "区人社局" not in police
    # A department user cannot widen the scope through the query string.
    widened = login("police_staff").get(f"/admin/?month=2026-11&department={make.social.id}").get_data(as_text=True)
    assert '<div class="v" id="m-rated">3</div>' in widened
    by_channel = login("bureau").get("/admin/?month=2026-11&channel=h5").get_data(as_text=True)
    assert '<div class="v" id="m-rated">0</div>' in by_channel


@pytest.mark.parametrize(
    "query",
    [
        "month=abc&from=2026-13-01&to=x",
        "from=2026-11-20&to=2026-11-01",
        "hall=x&window=99999&staff=NOPE&item=NOPE&channel=zzz&rank=foo",
        "department=-1&page=abc",
    ],
)
def test_dashboard_survives_bad_filters(login, make, query):
    response = login("bureau").get("/admin/?" + query)
    assert response.status_code == 200


def test_date_range_filter(app, login, make, ratings):
    from models import db

    with app.app_context(), db.connection_context():
        ratings.rate(5, at=dt.datetime(2026, 11, 10, 9))
        ratings.rate(1, at=dt.datetime(2026, 11, 12, 9))
    page = login("bureau").get("/admin/?from=2026-11-10&to=2026-11-10").get_data(as_text=True)
    assert '<div class="v" id="m-rated">1</div>' in page and "2026-11-10 至 2026-11-10" in page


@pytest.mark.settings({"figures": {"current_month_min_rated": 2}})
def test_the_dashboard_opens_on_the_last_complete_month_until_the_current_one_has_enough(app, login, ratings):
    from models import db

    with app.app_context(), db.connection_context():
        ratings.rate(5, at=dt.datetime(2026, 10, 10, 9))
        ratings.rate(4, at=AT)
    page = login("bureau").get("/admin/").get_data(as_text=True)
    assert "评价统计 · 2026年10月" in page and "不足 2 条，默认显示上月" in page
    with app.app_context(), db.connection_context():
        ratings.rate(3, at=AT)
    page = login("bureau").get("/admin/").get_data(as_text=True)
    assert "评价统计 · 2026年11月" in page and 'id="default-month"' not in page
    # Units under the minimum sample are listed apart, with their counts.
    assert 'id="unranked"' in page and "样本不足（评价数少于 30 条）" in page
