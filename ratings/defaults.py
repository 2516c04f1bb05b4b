"""系统默认评价, for provinces that use it (Guangdong: no rating within 7 days → 基本满意).

Off unless `ratings.default_rating_days` is set. Then the scheduler job gives every
completed case that nobody rated within that many days a rating of 基本满意 from
the system, through the rating core like any other rating (`submit_rating`: one
first rating per case, its upstream outbox row in the same transaction), with the
channel "default" (shown 系统默认评价, pushed with `[upstream.pf] default`). It is
counted in 评价数 and 好评率, left out of 主动评价好评率, and its case counts as
未评 (`figures.definitions`). Cases whose rating window (`ratings.rating_window_days`)
has passed are not touched, so switching the rule on does not rewrite history.
"""

import datetime as dt
import logging

from peewee import fn

from core import clock
from core.config import current_settings
from core.errors import ApiError
from models import Case
from models import Rating
from models import db
from models.rating import DEFAULT_CHANNEL
from models.rating import FIRST

from .core import RatingRequest
from .core import submit_rating

log = logging.getLogger(__name__)

DEFAULT_LEVEL = 3  # 基本满意
RATER = "system:default"
BATCH = 500


def due_cases(now: dt.datetime, days: int, window_days: int, limit: int = BATCH) -> list[Case]:
    """Completed cases without a first rating, completed between the rating window's start and `days` ago."""
    rated = Rating.select(Rating.id).where((Rating.case == Case.id) & (Rating.sequence == FIRST))
    query = (
        Case.select()
        .where(
            (Case.status == "completed")
            & (Case.completed_at <= now - dt.timedelta(days=days))
            & (Case.completed_at > now - dt.timedelta(days=window_days))
            & ~fn.EXISTS(rated)
        )
        .order_by(Case.completed_at, Case.id)
        .limit(limit)
    )
    return list(query)


def apply_default_ratings() -> int:
    """The scheduler job; returns the number of default ratings given by this run."""
    rules = current_settings().ratings
    if not rules.default_rating_days:
        return 0
    given = 0
    with db.connection_context():
        for case in due_cases(clock.now(), rules.default_rating_days, rules.rating_window_days):
            request = RatingRequest(level=DEFAULT_LEVEL, channel=DEFAULT_CHANNEL, case=case, rater_ref=RATER)
            try:
                submit_rating(request)
            except ApiError as exc:
                # Rated meanwhile by the citizen (already_rated), or refused: nothing to give.
                log.info("no default rating for case %s: %s", case.id, exc.code)
                continue
            given += 1
    if given:
        log.info("gave %d system default rating(s)", given)
    return given
