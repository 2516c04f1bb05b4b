"""The daily reconciliation (对账) with the city system, and 补报 of what is missing.

For each of the last `reconcile_days` days, the city's list of evalIds for
ratings given that day is compared with ours. A rating the city does not hold
is queued again under its stored evalId (补报) — whether it was never sent,
marked accepted by mistake, or lost on the city's side. A rating the city holds
with another `effective` than ours (an appeal's correction lost) gets its state
queued again as a new change, unless one is still on its way. Rejected ratings
wait for their correction and are only counted. evalIds the city holds that we
do not know are counted for staff.
"""

import datetime as dt
import logging

from peewee import JOIN

from core import clock
from core.config import current_settings
from models import Rating
from models import UpstreamPush
from models import UpstreamReconciliation
from models import db

from .client import Client
from .client import TransientError
from .profile import Profile
from .push import requeue

log = logging.getLogger(__name__)


def reconcile(client: Client | None = None, days: int | None = None) -> list[UpstreamReconciliation]:
    """The scheduler job: compare yesterday and the days before it with the city."""
    settings = current_settings().upstream
    if not settings.enabled:
        return []
    profile = Profile.from_settings(settings)
    client = client or Client(profile)
    today = clock.today()
    results = []
    with db.connection_context():
        for back in range(days or profile.reconcile_days, 0, -1):
            results.append(reconcile_day(today - dt.timedelta(days=back), profile, client))
    return results


def reconcile_day(day: dt.date, profile: Profile, client: Client) -> UpstreamReconciliation:
    start = dt.datetime.combine(day, dt.time.min)
    ratings = list(
        Rating.select(Rating.id, UpstreamPush.eval_id, UpstreamPush.state, Rating.excluded)
        .join(UpstreamPush, on=(UpstreamPush.rating == Rating.id), join_type=JOIN.LEFT_OUTER)
        .where((Rating.created_at >= start) & (Rating.created_at < start + dt.timedelta(days=1)))
        .tuples()
    )
    result = UpstreamReconciliation(day=day, ran_at=clock.now(), local_count=len(ratings))
    if not profile.query_url:
        result.state, result.error = "failed", "未配置上级系统对账接口（upstream.query_url）"
        result.save()
        return result
    try:
        held = client.query_day(day)
    except TransientError as exc:
        result.state, result.error = "failed", str(exc)[:2000]
        result.save()
        log.warning("reconciliation of %s failed: %s", day, exc)
        return result
    ours = {eval_id for _, eval_id, _, _ in ratings if eval_id}
    missing = [rating_id for rating_id, eval_id, state, _ in ratings if eval_id not in held and state != "rejected"]
    # The city says what it holds as effective; where it differs from ours, a correction was lost.
    mismatched = [
        rating_id
        for rating_id, eval_id, _, excluded in ratings
        if eval_id in held and held[eval_id] is not None and held[eval_id] != (0 if excluded else 1)
    ]
    result.city_count = len(held)
    result.unknown_count = len(set(held) - ours)
    result.missing_count = len(missing)
    result.effective_mismatch_count = len(mismatched)
    with db.atomic():
        # Ratings still waiting in the queue are missing too; requeue leaves them as they are.
        requeued = requeue(missing) if missing else 0
        for rating_id in mismatched:
            if not UpstreamPush.change_pending(rating_id):
                UpstreamPush.queue_change(rating_id, profile.area_code)
        result.state = "resent" if missing or mismatched else "ok"
        result.save()
    if missing:
        log.info("reconciliation of %s: %d missing, %d queued again (补报)", day, len(missing), requeued)
    return result
