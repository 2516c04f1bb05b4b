"""The ticket rollup (rectification counts) stays equal to the raw 差评 and tickets after any
sequence of changes, and the rectification figures read from it equal the live query."""

import datetime as dt
import random
from collections import Counter

import pytest

from core import clock
from figures import rectification
from figures import ticket_rollup
from figures import triggers
from models import Rating
from models import Ticket
from models import TicketRollup
from models import db

RESULTS = (None, "satisfied", "basically_satisfied", "unsatisfied", "unreachable")
STATES = ("new", "verifying", "rectifying", "resolved", "closed")


def flags(t: Ticket | None) -> dict:
    if t is None:
        return {}
    resolved = t.resolved_at is not None
    return {
        "replied": t.replied_at is not None,
        "followed_up": t.followup_result in ("satisfied", "basically_satisfied", "unsatisfied"),
        "satisfied": t.followup_result == "satisfied",
        "basically_satisfied": t.followup_result == "basically_satisfied",
        "resolved": resolved,
        "on_time": resolved and t.resolved_at <= t.due_at,
        "resolved_late": resolved and t.resolved_at > t.due_at,
        "on_the_spot": bool(t.on_the_spot),
        "on_ledger": bool(t.on_ledger),
        "closed": t.state == "closed",
    }


def expected() -> Counter:
    out = Counter()
    for r in Rating.select().where(Rating.is_bad & ~Rating.excluded):
        key = (r.department_id, r.created_at.date())
        out[(*key, "bad")] += 1
        for name, on in flags(Ticket.get_or_none(Ticket.rating == r.id)).items():
            out[(*key, name)] += int(on)
    return +out


def stored() -> Counter:
    out = Counter()
    for row in TicketRollup.select():
        day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(row.day)
        for name in ticket_rollup.COLUMNS:
            out[(row.department_id, day, name)] += getattr(row, name)
    return +out


def when(rng) -> dt.datetime:
    return dt.datetime(2026, 10, 1, 8) + dt.timedelta(days=rng.randrange(50), minutes=rng.randrange(600))


def new_rating(rng, make) -> Rating:
    level = rng.choice((1, 2, 2, 4, 5))
    police = rng.random() < 0.5
    return Rating.create(
        level=level,
        label_version="2026.1",
        channel="pad",
        department=make.police if police else make.social,
        window=make.police_window if police else make.social_window,
        is_bad=level <= 2,
        created_at=when(rng),
    )


def open_ticket(rating: Rating) -> Ticket:
    return Ticket.create(
        ticket_no=f"CP{rating.id:08d}",
        rating=rating.id,
        department=rating.department_id,
        due_at=rating.created_at + dt.timedelta(days=7),
        created_at=rating.created_at,
    )


def change_ticket(rng, t: Ticket) -> None:
    field = rng.choice(("replied_at", "followup_result", "resolved_at", "due_at", "on_the_spot", "on_ledger", "state"))
    value = {
        "replied_at": rng.choice((None, t.created_at + dt.timedelta(days=1))),
        "followup_result": rng.choice(RESULTS),
        "resolved_at": rng.choice((None, t.created_at + dt.timedelta(days=rng.randrange(12)))),
        "due_at": t.created_at + dt.timedelta(days=rng.randrange(3, 12)),
        "on_the_spot": rng.random() < 0.5,
        "on_ledger": rng.random() < 0.5,
        "state": rng.choice(STATES),
    }[field]
    Ticket.update({getattr(Ticket, field): value}).where(Ticket.id == t.id).execute()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ticket_rollup_equals_raw_after_ratings_tickets_and_their_changes(ctx, make, seed):
    rng = random.Random(seed)
    for step in range(220):
        action = rng.random()
        ratings = list(Rating.select())
        tickets = list(Ticket.select())
        if action < 0.25 or not ratings:
            rating = new_rating(rng, make)
            if rating.is_bad and rng.random() < 0.8:
                open_ticket(rating)
        elif action < 0.5 and tickets:
            change_ticket(rng, rng.choice(tickets))
        elif action < 0.58:  # an approved appeal / a fraud flag, or reinstated
            Rating.update(excluded=rng.random() < 0.6).where(Rating.id == rng.choice(ratings).id).execute()
        elif action < 0.64:  # a correction of department, time or level
            r = rng.choice(ratings)
            other = make.social if r.department_id == make.police.id else make.police
            change = rng.choice(({"department": other.id}, {"created_at": when(rng)}, {"is_bad": not r.is_bad}))
            Rating.update(change).where(Rating.id == r.id).execute()
        elif action < 0.7:  # a change neither rollup depends on
            if tickets:
                Ticket.update(reply_text="已回复").where(Ticket.id == rng.choice(tickets).id).execute()
            Rating.update(comment="改").where(Rating.id == rng.choice(ratings).id).execute()
        elif action < 0.76 and tickets:  # a ticket removed (a bulk correction)
            Ticket.delete().where(Ticket.id == rng.choice(tickets).id).execute()
        elif action < 0.8:  # a rating without a ticket removed
            free = [r for r in ratings if not Ticket.select().where(Ticket.rating == r.id).exists()]
            if free:
                Rating.delete().where(Rating.id == rng.choice(free).id).execute()
        elif action < 0.9:  # a 差评 and its ticket in one transaction, as the rating core writes them
            with db.atomic():
                rating = new_rating(rng, make)
                if rating.is_bad:
                    open_ticket(rating)
        else:  # rolled back: nothing remains
            with db.atomic() as tx:
                rating = new_rating(rng, make)
                if rating.is_bad:
                    change_ticket(rng, open_ticket(rating))
                tx.rollback()
        if step % 55 == 54:
            assert stored() == expected()
    assert stored() == expected()
    assert stored()
    # A ticket's time follows its rating's corrected time: the open-ticket index reads it.
    assert all(t.created_at == Rating.get_by_id(t.rating_id).created_at for t in Ticket.select())
    before = stored()
    triggers.rebuild(ticket_rollup)
    assert stored() == before
    clock.freeze(dt.datetime(2026, 11, 5, 12))  # some open tickets are overdue, some not
    for period in ("2026-10", "2026-11", (dt.date(2026, 10, 9), dt.date(2026, 11, 3)), dt.date(2026, 10, 20)):
        for basic in (True, False):
            rolled = rectification.by_department(period, basic)
            assert rolled == rectification.by_department(period, basic, raw=True), period
            for unit, unit_id in ((None, None), ("department", make.police.id), ("department", make.social)):
                assert rectification.rectification_figures(
                    period, unit, unit_id, basic
                ) == rectification.rectification_figures(period, unit, unit_id, basic, raw=True), (period, unit)
    assert any(m["overdue"] for m in rectification.by_department("2026-10").values())


@pytest.mark.parametrize(
    "change",
    [
        {"replied_at": dt.datetime(2026, 10, 3, 9)},
        {"followup_result": "basically_satisfied"},
        {"resolved_at": dt.datetime(2026, 10, 20, 9)},
        {"due_at": dt.datetime(2026, 10, 4, 9)},  # resolved on the 5th: on time becomes late
        {"on_the_spot": True},
        {"on_ledger": True},
        {"state": "closed"},
    ],
)
def test_each_watched_ticket_column_moves_the_counts(ctx, make, change):
    rating = new_rating(random.Random(5), make)
    Rating.update(is_bad=True, created_at=dt.datetime(2026, 10, 2, 9)).where(Rating.id == rating.id).execute()
    ticket = open_ticket(Rating.get_by_id(rating.id))
    Ticket.update(resolved_at=dt.datetime(2026, 10, 5, 9), due_at=dt.datetime(2026, 10, 9, 9)).where(
        Ticket.id == ticket.id
    ).execute()
    before = stored()
    Ticket.update({getattr(Ticket, k): v for k, v in change.items()}).where(Ticket.id == ticket.id).execute()
    assert stored() == expected() != before
