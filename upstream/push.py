"""The push job: every rating to the city system, exactly once in effect.

Each `upstream.rating` outbox row (written with its rating) is turned into a
record at send time, from the database, under the configured profile. The
rating's `evalId` is stored before the first send, so a crash between sending
and marking re-sends the same `evalId` and the city drops the duplicate. A
5xx, a timeout or no answer leaves the rows queued with exponential backoff
and jitter (a day-long outage loses nothing); a rejected record keeps the
city's reason for staff and waits for a correction (`requeue`).

Excluded ratings (an approved appeal) are pushed like any other: the city got
what the citizen said; the exclusion is a local decision about our figures,
and the default profile has no correction message.
"""

import logging

from flask import current_app
from peewee import JOIN
from peewee import fn

from core import clock
from models import Case
from models import Department
from models import Item
from models import Outbox
from models import Rating
from models import UpstreamPush
from models import db

from .client import Client
from .client import TransientError
from .client import backoff
from .profile import MappingError
from .profile import Profile

log = logging.getLogger(__name__)

KIND = "upstream.rating"
# One job run drains at most this many batches, so that it ends in bounded time.
MAX_BATCHES_PER_RUN = 20


def current_profile() -> Profile:
    return Profile.from_settings(current_app.config["SETTINGS"].upstream)


def push_due(client: Client | None = None) -> dict:
    """The scheduler job: send what is due, batch by batch."""
    settings = current_app.config["SETTINGS"].upstream
    if not settings.enabled:
        return {"enabled": False}
    profile = Profile.from_settings(settings)
    client = client or Client(profile)
    totals = {"accepted": 0, "rejected": 0, "retry": 0}
    with db.connection_context():
        for _ in range(MAX_BATCHES_PER_RUN):
            rows = list(Outbox.due(KIND, limit=profile.batch_size))
            if not rows:
                break
            outcome = push_batch(rows, profile, client)
            for key in totals:
                totals[key] += outcome[key]
            if outcome["transient"]:
                break  # the city is struggling: leave the rest for the next run
    if any(totals.values()):
        log.info("upstream push: %(accepted)d accepted, %(rejected)d rejected, %(retry)d to retry", totals)
    return totals


def push_batch(rows: list, profile: Profile, client: Client) -> dict:
    outcome = {"accepted": 0, "rejected": 0, "retry": 0, "transient": False}
    batch = []  # (outbox row, push, record)
    wanted = {row.id: _rating_id(row) for row in rows}
    ratings = _load_ratings([rating_id for rating_id in wanted.values() if rating_id is not None])
    for row in rows:
        rating = ratings.get(wanted[row.id])
        if rating is None:
            row.fail("评价记录不存在或推送内容无效")
            continue
        push = _push_for(rating, profile)
        try:
            batch.append((row, push, profile.record(rating, push.eval_id)))
        except MappingError as exc:
            _reject(row, push, f"本地字段映射失败：{exc}")
            outcome["rejected"] += 1
    if not batch:
        return outcome
    now = clock.now()
    ids = [push.id for _, push, _ in batch]
    # Written before sending: staff see what is in flight; the evalIds are already stored.
    UpstreamPush.update(
        attempts=UpstreamPush.attempts + 1, last_sent_at=now, first_sent_at=fn.COALESCE(UpstreamPush.first_sent_at, now)
    ).where(UpstreamPush.id.in_(ids)).execute()
    try:
        answer = client.send([record for _, _, record in batch])
    except TransientError as exc:
        reason = str(exc)
        with db.atomic():
            for row, _push, _ in batch:
                row.retry_later(reason, backoff(row.attempts, profile.backoff_seconds, profile.backoff_max_seconds))
            UpstreamPush.update(last_error=reason[:2000]).where(UpstreamPush.id.in_(ids)).execute()
        outcome["retry"] += len(batch)
        outcome["transient"] = True
        return outcome
    with db.atomic():
        for row, push, _ in batch:
            if push.eval_id in answer.rejected:
                _reject(row, push, answer.rejected[push.eval_id])
                outcome["rejected"] += 1
            elif push.eval_id in answer.accepted:
                _accept(row, push)
                outcome["accepted"] += 1
            else:
                reason = "上级系统应答中没有该记录"
                row.retry_later(reason, backoff(row.attempts, profile.backoff_seconds, profile.backoff_max_seconds))
                outcome["retry"] += 1
    return outcome


def _rating_id(row):
    try:
        rating_id = row.data.get("rating_id")
    except (ValueError, AttributeError):
        return None  # a malformed payload must not block the queue
    return rating_id if isinstance(rating_id, int) and not isinstance(rating_id, bool) else None


def _load_ratings(ids: list[int]) -> dict:
    """The ratings with what the record needs, in one query."""
    if not ids:
        return {}
    query = (
        Rating.select(Rating, Case, Item, Department)
        .join(Case, JOIN.LEFT_OUTER, on=(Rating.case == Case.id))
        .switch(Rating)
        .join(Item, JOIN.LEFT_OUTER, on=(Rating.item == Item.id))
        .switch(Rating)
        .join(Department, on=(Rating.department == Department.id))
        .where(Rating.id.in_(ids))
    )
    return {rating.id: rating for rating in query}


def _push_for(rating, profile: Profile) -> UpstreamPush:
    push = UpstreamPush.for_rating_id(rating.id)
    if push is None:
        UpstreamPush.insert(rating=rating.id, eval_id=profile.new_eval_id(), created_at=clock.now()).on_conflict_ignore(
            True
        ).execute()
        push = UpstreamPush.for_rating_id(rating.id)
    return push


def _accept(row, push) -> None:
    row.mark_sent()
    UpstreamPush.update(state="accepted", accepted_at=clock.now(), last_error=None, reject_reason=None).where(
        UpstreamPush.id == push.id
    ).execute()


def _reject(row, push, reason: str) -> None:
    row.fail(f"上级系统拒收：{reason}")
    UpstreamPush.update(state="rejected", rejected_at=clock.now(), reject_reason=reason[:2000]).where(
        UpstreamPush.id == push.id
    ).execute()
    log.warning("upstream rejected rating %s (%s): %s", push.rating_id, push.eval_id, reason)


def requeue(rating_ids) -> int:
    """Queue ratings again (after a correction, or for 补报) under their stored evalId; returns how many."""
    now = clock.now()
    count = 0
    with db.atomic():
        for rating_id in rating_ids:
            key = f"rating:{rating_id}"
            existing = Outbox.get_or_none(Outbox.dedupe_key == key)
            if existing is None:
                Outbox.put(KIND, key, {"rating_id": rating_id}, available_at=now)
                changed = 1
            else:
                changed = (
                    Outbox.update(state="pending", available_at=now, attempts=0)
                    .where((Outbox.id == existing.id) & (Outbox.state != "pending"))
                    .execute()
                )
            UpstreamPush.update(state="pending", requeued=UpstreamPush.requeued + 1).where(
                (UpstreamPush.rating == rating_id) & (UpstreamPush.state != "pending")
            ).execute()
            count += 1 if changed else 0
    return count
