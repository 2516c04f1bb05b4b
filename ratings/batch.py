"""The rating core for many first ratings of cases at once: the SMS inbox's chunk.

`submit_case_ratings` applies to each request exactly the steps of `core.submit_rating`
— `new_rating` (the input's checks), `case_fields` (the case's units, the rating
window), the one-rating rule, `fan_out` (the fraud screen, the 差评's ticket) and the
upstream outbox row — but writes what it can as one statement per table for all of
them: one INSERT of the ratings (ON CONFLICT DO NOTHING: a case rated meanwhile by any
channel is skipped by the unique index and answered `already_rated`), one UPDATE of
their invitations, one INSERT of their outbox rows. The caller's transaction holds them.

Exactly as one by one, because nothing one request does changes what another reads:
the requests rate different cases (a second request for a case in the set is refused
by the index, as it would be one after the other) and name different raters (the
fraud screen's counts are per rater). A fan-out that refuses a rating after its
INSERT (a staff member rating their own case) cannot be undone alone here: it raises
`OneByOne`, and the caller rolls its transaction back and submits one by one.
"""

from core.config import current_settings
from core.errors import ApiError
from figures import case_rollup
from models import Rating
from models.bulk import insert_returning
from models.bulk import to_db
from models.upstream import queue_first_pushes

from . import core
from .core import RatingRequest
from .core import RatingResult

COLUMNS = tuple(field.name for field in Rating._meta.sorted_fields if field.name != "id")


class OneByOne(Exception):
    """A rating of the set was refused after its INSERT: redo the set one by one."""


def submit_case_ratings(requests: list[RatingRequest]) -> list[RatingResult | ApiError]:
    """One result per request, in order: the stored rating (and its ticket), or the refusal
    `submit_rating` would have raised. Requests: first ratings of cases, each rater once."""
    if any(req.case is None or req.addendum for req in requests):
        raise ValueError("submit_case_ratings takes first ratings of cases")
    raters = [req.rater_ref for req in requests if req.rater_ref]
    if len(set(raters)) != len(raters):
        raise ValueError("submit_case_ratings takes each rater once")
    settings = current_settings()
    results: list = [None] * len(requests)
    ratings: dict[int, Rating] = {}  # request index → its rating, checked, to store
    for index, req in enumerate(requests):
        try:
            rating = core.new_rating(req, settings)
            core.case_fields(rating, req, settings.ratings)
        except ApiError as exc:
            results[index] = exc
            continue
        ratings[index] = rating

    # In department order: the rollup rows a 差评 and its ticket update are the department's
    # and day's, so two transactions rating side by side (the SMS lanes) take them in one order.
    order = sorted(ratings, key=lambda index: ratings[index].department_id)
    rows = to_db(Rating, COLUMNS, [tuple(ratings[i].__data__.get(name) for name in COLUMNS) for i in order])
    with case_rollup.per_statement():  # PostgreSQL: the case rollup's rows once each, not per rating
        stored = dict(insert_returning(Rating, COLUMNS, rows, ("case", "id")))
    for index in order:
        rating = ratings[index]
        rating.id = stored.get(rating.case_id)
        if rating.id is None:
            try:
                core.already_rated()
            except ApiError as exc:
                results[index] = exc
            del ratings[index]
    if not ratings:
        return results
    order = [index for index in order if index in ratings]
    core.close_invitations([rating.case_id for rating in ratings.values()])
    for index in order:
        rating = ratings[index]
        try:
            ticket = core.fan_out(rating, requests[index], settings)
        except ApiError as exc:
            raise OneByOne(f"rating of case {rating.case_id} refused after its insert: {exc.code}") from exc
        results[index] = RatingResult(rating, ticket)
    queue_first_pushes([r.id for r in ratings.values()])
    for rating in ratings.values():
        core.log_stored(rating)
    return results
