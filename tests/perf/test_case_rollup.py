"""The case rollup (未评率) stays equal to the raw cases and ratings after any sequence of
changes, and the figures read from it equal the live count."""

import datetime as dt
import random
from collections import Counter

import pytest

from figures import case_rollup
from figures import ratings as figures
from figures import triggers
from figures.ratings import Filters
from models import Case
from models import CaseRollup
from models import CaseRollupDelta
from models import Rating
from models import db

STATUSES = ("accepted", "completed", "completed", "completed", "withdrawn")


def expected() -> Counter:
    out = Counter()
    for c in Case.select():
        if c.status != "completed" or c.completed_at is None:
            continue
        rated = Rating.select().where((Rating.case == c.id) & (Rating.sequence == 1)).exists()
        out[(c.department_id, c.completed_at.date(), "completed")] += 1
        out[(c.department_id, c.completed_at.date(), "rated")] += int(rated)
    return +out


def stored(fold: bool = True) -> Counter:
    """The rollup with its deltas: folded in first (as the scheduler's job does), or added as read."""
    if fold:
        case_rollup.fold()
        assert not CaseRollupDelta.select().exists()
    out = Counter()
    for r in [*CaseRollup.select(), *CaseRollupDelta.select()]:
        day = r.day if isinstance(r.day, dt.date) else dt.date.fromisoformat(r.day)
        out[(r.department_id, day, "completed")] += r.completed
        out[(r.department_id, day, "rated")] += r.rated
    return +out


def when(rng) -> dt.datetime:
    day = dt.date(2026, 10, 1) + dt.timedelta(days=rng.randrange(40))
    return dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))


def new_case(rng, make, n: int) -> Case:
    police = rng.random() < 0.5
    status = rng.choice(STATUSES)
    return Case.create(
        case_no=f"CR-{n}",
        rating_code=f"R{n:07d}",
        item=make.id_card if police else make.pension,
        department=make.police if police else make.social,
        status=status,
        accepted_at=dt.datetime(2026, 9, 30, 9),
        completed_at=when(rng) if status != "accepted" else None,
    )


def rate(case: Case, sequence: int = 1, level: int = 5) -> Rating:
    return Rating.create(
        case=case,
        level=level,
        label_version="2026.1",
        channel="sms",
        department=case.department_id,
        item=case.item_id,
        sequence=sequence,
        is_bad=level <= 2,
        created_at=dt.datetime(2026, 11, 20, 10),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_case_rollup_equals_raw_after_cases_ratings_and_their_changes(ctx, make, seed):
    rng = random.Random(seed)
    cases, n = [], 0
    for step in range(200):
        action = rng.random()
        if action < 0.3 or not cases:
            n += 1
            cases.append(new_case(rng, make, n))
        elif action < 0.5:  # a first rating (once per case), sometimes a 追评 after it
            case = rng.choice(cases)
            if not Rating.select().where((Rating.case == case.id) & (Rating.sequence == 1)).exists():
                rate(case)
            elif rng.random() < 0.5 and not Rating.select().where(Rating.case == case.id).count() > 1:
                rate(case, sequence=2)
        elif action < 0.6:  # completed, reopened, withdrawn
            case = rng.choice(cases)
            status = rng.choice(STATUSES)
            Case.update(status=status, completed_at=None if status == "accepted" else when(rng)).where(
                Case.id == case.id
            ).execute()
        elif action < 0.67:  # moved to the other department
            case = Case.get_by_id(rng.choice(cases).id)
            other = make.social if case.department_id == make.police.id else make.police
            Case.update(department=other).where(Case.id == case.id).execute()
        elif action < 0.72:  # a change the rollup does not depend on
            Case.update(mode="online").where(Case.id == rng.choice(cases).id).execute()
        elif action < 0.8:  # a rating deleted (an erroneous import)
            victim = Rating.select().order_by(Rating.id).first()
            if victim is not None:
                Rating.delete().where(Rating.id == victim.id).execute()
        elif action < 0.85:  # a rating moved to another case that has none
            rating = Rating.select().where(Rating.sequence == 1).first()
            free = [c for c in cases if not Rating.select().where(Rating.case == c.id).exists()]
            if rating is not None and free:
                Rating.update(case=rng.choice(free).id).where(Rating.id == rating.id).execute()
        elif action < 0.9:  # a case without ratings deleted
            free = [c for c in cases if not Rating.select().where(Rating.case == c.id).exists()]
            if free:
                victim = rng.choice(free)
                Case.delete().where(Case.id == victim.id).execute()
                cases.remove(victim)
        elif action < 0.95:  # a case and its rating in one transaction
            n += 1
            with db.atomic():
                case = new_case(rng, make, n)
                rate(case)
            cases.append(case)
        else:  # rolled back: nothing remains
            with db.atomic() as tx:
                n += 1
                rate(new_case(rng, make, n))
                tx.rollback()
        if step % 50 == 49:
            assert stored(fold=step % 100 == 49) == expected()
    assert stored(fold=False) == expected()
    for f in (
        Filters(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 1)),
        Filters(start=dt.date(2026, 10, 7), end=dt.date(2026, 10, 21), department_id=make.police.id),
    ):  # read with deltas not folded
        assert figures.completed_cases(f) == figures.completed_cases(f, raw=True), f
    assert stored() == expected()
    before = stored()
    triggers.rebuild(case_rollup)
    assert stored() == before
    for f in (
        Filters(start=dt.date(2026, 10, 1), end=dt.date(2026, 11, 1)),
        Filters(start=dt.date(2026, 10, 7), end=dt.date(2026, 10, 21), department_id=make.police.id),
        Filters(start=dt.date(2026, 11, 9), end=dt.date(2026, 11, 10)),
        Filters(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 1), window_id=make.police_window.id),
    ):
        assert figures.completed_cases(f) == figures.completed_cases(f, raw=True), f
        assert figures.by_department(f) == figures.by_department(f, raw=True), f
    assert figures.completed_cases(Filters(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 1)))[0] > 0


def test_the_report_reads_the_rollup_not_the_cases(ctx, make):
    from playhouse.test_utils import count_queries

    rate(new_case(random.Random(4), make, 1))
    with count_queries() as counted:
        figures.completed_cases(Filters(start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 1)))
    sql = " ".join(q.msg[0] for q in counted.get_queries())
    assert "case_rollup" in sql and '"case"' not in sql
