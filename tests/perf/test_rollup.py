"""The rating rollup stays equal to the raw ratings after any sequence of changes,
and every figure read from it equals the raw GROUP BY."""

import datetime as dt
import random
from collections import Counter

import pytest

from core import clock
from figures import ratings as figures
from figures import rollup
from figures import triggers
from figures.ratings import Filters
from models import Case
from models import Rating
from models import RatingRollup
from models import RatingRollupDelta
from models import db
from models.rating import ADDENDUM

CHANNELS = ("pad", "qr", "sms", "wechat", "kiosk")


def expected() -> Counter:
    """What the rollup must hold, recomputed in Python from the raw rows."""
    out = Counter()
    for r in Rating.select():
        if r.excluded or r.sequence != 1:
            continue
        day = r.created_at.date()
        units = {
            "department": r.department_id,
            "hall": r.hall_id,
            "window": r.window_id,
            "staff": r.staff_id,
            "item": r.item_id,
        }
        for grain, period in (("d", day), ("m", day.replace(day=1))):
            for dim, unit in units.items():
                if unit is not None:
                    out[(grain, period, dim, unit, "", r.department_id, r.level)] += 1
            out[(grain, period, "channel", 0, r.channel, r.department_id, r.level)] += 1
    return out


def stored() -> Counter:
    """The rollup table once its deltas are folded in (as the scheduler's job does)."""
    rollup.fold()
    assert not RatingRollupDelta.select().exists()
    out = Counter()
    for r in RatingRollup.select():
        period = r.period if isinstance(r.period, dt.date) else dt.date.fromisoformat(r.period)
        if r.n:
            out[(r.grain, period, r.dim, r.unit_id, r.channel, r.department_id, r.level)] += r.n
    return out


def random_rating(rng, make, when: dt.datetime) -> dict:
    police = rng.random() < 0.6
    onsite = rng.random() < 0.3
    level = rng.choice((5, 5, 5, 4, 3, 2, 1))
    return {
        "level": level,
        "label_version": "2026.1",
        "channel": rng.choice(CHANNELS),
        "department": make.police if police else make.social,
        "hall": None if onsite and rng.random() < 0.5 else make.hall,
        "window": make.police_window if police else make.social_window,
        "staff": None if rng.random() < 0.3 else (make.officer if police else make.clerk),
        "item": None if onsite else (make.id_card if police else make.pension),
        "is_bad": level <= 2,
        "created_at": when,
    }


def random_time(rng) -> dt.datetime:
    day = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randrange(100))
    return dt.datetime.combine(day, dt.time(8 + rng.randrange(10), rng.randrange(60), rng.randrange(60)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollup_equals_raw_after_inserts_exclusions_reinstatements_and_edits(ctx, make, seed):
    rng = random.Random(seed)
    ids = []
    for step in range(160):
        action = rng.random()
        if action < 0.5 or not ids:
            ids.append(Rating.create(**random_rating(rng, make, random_time(rng))).id)
        elif action < 0.65:  # an approved appeal or a fraud review
            Rating.update(excluded=True, excluded_reason="申诉成立").where(Rating.id == rng.choice(ids)).execute()
        elif action < 0.75:  # reinstated
            Rating.update(excluded=False, excluded_reason=None).where(Rating.id == rng.choice(ids)).execute()
        elif action < 0.8:  # a bulk exclusion, several rows in one statement
            chosen = rng.sample(ids, min(len(ids), 5))
            Rating.update(excluded=rng.random() < 0.5).where(Rating.id.in_(chosen)).execute()
        elif action < 0.87:  # corrections of level, time, units and channel
            row = Rating.get_by_id(rng.choice(ids))
            row.level = rng.randint(1, 5)
            row.is_bad = row.level <= 2
            row.created_at = random_time(rng)
            row.channel = rng.choice(CHANNELS)
            row.staff = None if row.staff_id else make.officer
            row.save()
        elif action < 0.9:  # a change the rollup does not depend on
            Rating.update(comment="改").where(Rating.id == rng.choice(ids)).execute()
        elif action < 0.95:
            victim = rng.choice(ids)
            Rating.delete().where(Rating.id == victim).execute()
            ids.remove(victim)
        else:  # inside a transaction that is rolled back: nothing may remain
            with db.atomic() as tx:
                Rating.create(**random_rating(rng, make, random_time(rng)))
                Rating.update(excluded=True).where(Rating.id == rng.choice(ids)).execute()
                tx.rollback()
        if step % 40 == 39:
            assert stored() == expected()
        elif step % 40 == 19:  # the figures' reads, deltas not folded: exact too
            assert _read_all() == _expected_reads()
    assert stored() == expected()
    before = stored()
    triggers.rebuild(rollup)
    assert stored() == before


_WIDE = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))


def _read_all() -> dict:
    """Every dimension's counts per unit and month as `level_counts` reads them (rollup + deltas)."""
    f = Filters(start=_WIDE[0], end=_WIDE[1])
    return {
        dim: rollup.level_counts(f, dim, by_month=True)
        for dim in ("department", "hall", "window", "staff", "item", "channel")
    }


def _expected_reads() -> dict:
    out: dict = {dim: {} for dim in ("department", "hall", "window", "staff", "item", "channel")}
    for (grain, period, dim, unit, channel, _department, level), n in expected().items():
        if grain != "m":
            continue
        key = (channel if dim == "channel" else unit, f"{period:%Y-%m}")
        levels = out[dim].setdefault(key, {})
        levels[level] = levels.get(level, 0) + n
    return out


@pytest.mark.settings({"figures": {"min_ranking_sample": 3}})
def test_figures_are_exact_with_deltas_not_folded_against_a_folded_rollup(ctx, make):
    """Ratings folded, then excluded, edited and deleted (their -1 deltas against folded +1s)
    and new ones added: every figure equals the raw GROUP BY before the fold and after it."""
    populate(make, n=200)
    assert rollup.fold() > 0
    rng = random.Random(5)
    ids = [r.id for r in Rating.select(Rating.id)]
    for victim in rng.sample(ids, 40):
        Rating.update(excluded=True, excluded_reason="申诉成立").where(Rating.id == victim).execute()
    for victim in rng.sample(ids, 10):
        level = rng.randint(1, 5)
        Rating.update(level=level, is_bad=level <= 2, channel="kiosk").where(Rating.id == victim).execute()
    Rating.delete().where(Rating.id.in_(rng.sample(ids, 5)) & Rating.excluded).execute()
    populate(make, n=50, seed=11)
    assert RatingRollupDelta.select().exists()
    for folded in (False, True):
        if folded:
            assert rollup.fold() > 0
            assert rollup.fold() == 0  # nothing twice
        assert _read_all() == _expected_reads()
        for f in filter_sets(make):
            assert figures.summary(f) == figures.summary(f, raw=True), (folded, f)
            for unit in ("department", "window", "staff", "item"):
                assert figures.level_table(f, unit) == figures.level_table(f, unit, raw=True), (folded, f, unit)
            assert figures.monthly_trend(f) == figures.monthly_trend(f, raw=True), (folded, f)
            assert figures.channel_mix(f) == figures.channel_mix(f, raw=True), (folded, f)


@pytest.mark.settings({"fraud": {"pad_min_seconds": 0}})  # tablet ratings at completion time are not flagged here
def test_followups_do_not_count_and_rollup_follows_the_rating_core(ctx, make):
    from ratings.core import RatingRequest
    from ratings.core import submit_rating

    case = Case.create(
        case_no="C1",
        rating_code="R0000001",
        item=make.id_card,
        department=make.police,
        hall=make.hall,
        window=make.police_window,
        staff=make.officer,
        status="completed",
        accepted_at=clock.now(),
        completed_at=clock.now(),
    )
    submit_rating(RatingRequest(level=2, channel="pad", case=case, rater_ref="device:x"))
    submit_rating(RatingRequest(level=5, channel="pad", case=case, rater_ref="device:x", addendum=True))
    submit_rating(RatingRequest(level=4, channel="pad", window=make.police_window, rater_ref="device:x"))
    assert Rating.select().where(Rating.sequence == ADDENDUM).count() == 1
    assert stored() == expected()
    today = clock.today()
    f = Filters(start=today, end=today + dt.timedelta(days=1))
    assert figures.level_distribution(f) == {5: 0, 4: 1, 3: 0, 2: 1, 1: 0}


def populate(make, n: int = 300, seed: int = 9) -> None:
    rng = random.Random(seed)
    rows = [random_rating(rng, make, random_time(rng)) for _ in range(n)]
    for i, row in enumerate(rows):
        row["excluded"] = i % 17 == 0
        row["sequence"] = 1
    with db.atomic():
        for row in rows:
            Rating.create(**row)


def filter_sets(make) -> list[Filters]:
    periods = [
        (dt.date(2026, 9, 1), dt.date(2026, 12, 1)),  # whole months
        (dt.date(2026, 10, 1), dt.date(2026, 11, 1)),
        (dt.date(2026, 9, 10), dt.date(2026, 11, 20)),  # partial months at both ends
        (dt.date(2026, 10, 5), dt.date(2026, 10, 6)),  # one day
        (dt.date(2026, 11, 1), dt.date(2026, 12, 1)),  # this month, ratings after the end
        (dt.date(2026, 12, 9), dt.date(2027, 1, 1)),  # after the last rating: empty
        (dt.date(2026, 10, 1), dt.date(2026, 10, 1)),  # empty range
    ]
    out = []
    for start, end in periods:
        out += [
            Filters(start=start, end=end),
            Filters(start=start, end=end, department_id=make.police.id),
            Filters(start=start, end=end, channel="pad"),
            Filters(start=start, end=end, department_id=make.social.id, channel="qr"),
            Filters(start=start, end=end, window_id=make.police_window.id),
            Filters(start=start, end=end, staff_id=make.officer.id),
            Filters(start=start, end=end, item_id=make.pension.id, department_id=make.social.id),
            Filters(start=start, end=end, hall_id=make.hall.id),
            # not covered by the rollup (two unit filters): falls back to the raw query
            Filters(start=start, end=end, window_id=make.police_window.id, channel="sms"),
        ]
    return out


@pytest.mark.settings({"figures": {"min_ranking_sample": 3}})
def test_every_figure_from_the_rollup_equals_the_raw_group_by(ctx, make):
    populate(make)
    for f in filter_sets(make):
        assert figures.summary(f) == figures.summary(f, raw=True), f
        assert figures.level_distribution(f) == figures.level_distribution(f, raw=True), f
        assert figures.channel_mix(f) == figures.channel_mix(f, raw=True), f
        assert figures.monthly_trend(f) == figures.monthly_trend(f, raw=True), f
        for unit in ("department", "hall", "window", "staff", "item"):
            assert figures.ranking(f, unit) == figures.ranking(f, unit, raw=True), (f, unit)
            assert figures.level_table(f, unit) == figures.level_table(f, unit, raw=True), (f, unit)
            assert figures.trend_by_unit(f, unit) == figures.trend_by_unit(f, unit, raw=True), (f, unit)
        assert figures.by_department(f) == figures.by_department(f, raw=True), f


def test_rollup_covers_the_dashboards_filters_and_reads_months_where_it_can(ctx, make):
    populate(make, n=60)
    f = Filters(start=dt.date(2026, 9, 1), end=dt.date(2026, 12, 1), department_id=make.police.id)
    assert rollup.level_counts(f, "staff") is not None
    assert rollup.level_counts(Filters(start=f.start, end=f.end, staff_id=1, channel="pad")) is None
    assert rollup.level_counts(Filters(start=f.start, end=f.end, channel="pad"), "window") is None
    # "this month" until after the last rating reads the month row, not the days
    cond = rollup.period_condition(dt.date(2026, 12, 1), dt.date(2026, 12, 27))
    assert "'d'" not in str(RatingRollup.select().where(cond).sql())
    # a range cutting a month with ratings on both sides reads days
    cond = rollup.period_condition(dt.date(2026, 10, 10), dt.date(2026, 10, 20))
    assert RatingRollup.select().where(cond).sql()[1][0] == "d"
