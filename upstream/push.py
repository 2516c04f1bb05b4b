"""The push job: every rating to the city system, exactly once in effect.

Each `upstream.rating` outbox row (written with its rating) is turned into a
record at send time, from the database, under the configured profile. The
rating's `evalId` is stored before the first send, so a crash between sending
and marking re-sends the same `evalId` and the city drops the duplicate. A
5xx, a timeout or no answer leaves the rows queued with exponential backoff
and jitter (a day-long outage loses nothing); a rejected record keeps the
city's reason for staff and waits for a correction (`requeue`).

Every rating is pushed, as it stands when sent: `effective` 1, or 0 with its
reason while it is left out of our figures (an approved appeal, a fraud hold).
Each later change (an appeal approved, rejected or reversed, a fraud review) is
its own outbox row (`rating:<id>:change:<n>`, written with the change by
`UpstreamPush.queue_change`) and is delivered once, under the same evalId, as
change n; the city keeps the highest change, so a retry or a late delivery of
an older one changes nothing there.
"""

import logging
import time

from peewee import fn

from core import clock
from core.config import current_settings
from models import Outbox
from models import UpstreamPush
from models import db
from models.upstream import PUSH_KIND

from .client import Client
from .client import TransientError
from .client import backoff
from .profile import MappingError
from .profile import Profile
from .profile import RatingFacts

log = logging.getLogger(__name__)

KIND = PUSH_KIND
# One job run keeps sending while there is backlog, for at most this long, so that it
# ends in bounded time (a stopping scheduler waits for it) and a backlog drains at the
# city's pace rather than a few batches per run. A run does not start a chunk it does
# not expect to finish in time, so it ends just before a tick of its 2 s interval and
# the next run starts at once.
RUN_SECONDS = 10.0
# The database work is done for this many queued rows at a time (about; a whole number of
# batches), sent as requests of `batch_size`: a handful of statements and two commits per
# chunk instead of per request, whatever the city's batch limit.
CHUNK_ROWS = 500


def current_profile() -> Profile:
    return Profile.from_settings(current_settings().upstream)


def push_due(client: Client | None = None, run_seconds: float = RUN_SECONDS, chunk_rows: int = CHUNK_ROWS) -> dict:
    """The scheduler job: send what is due, chunk by chunk, until nothing is due or time is up."""
    settings = current_settings().upstream
    if not settings.enabled:
        return {"enabled": False}
    profile = Profile.from_settings(settings)
    client = client or Client(profile)
    limit = profile.batch_size * max(1, -(-chunk_rows // profile.batch_size))
    totals = {"accepted": 0, "rejected": 0, "retry": 0}
    deadline = time.monotonic() + run_seconds
    with db.connection_context():
        while True:
            started = time.monotonic()
            rows = list(Outbox.due(KIND, limit=limit))
            if not rows:
                break
            outcome = push_rows(rows, profile, client)
            for key in totals:
                totals[key] += outcome[key]
            if outcome["transient"]:
                break  # the city is struggling: leave the rest for the next run
            now = time.monotonic()
            if len(rows) < limit or now + 2 * (now - started) > deadline:
                break
    if any(totals.values()):
        log.info("upstream push: %(accepted)d accepted, %(rejected)d rejected, %(retry)d to retry", totals)
    return totals


def push_rows(rows: list, profile: Profile, client: Client) -> dict:
    """Queued rows as requests of `batch_size`, with one transaction before the first and one after the last."""
    outcome = {"accepted": 0, "rejected": 0, "retry": 0, "transient": False}
    wanted = {row.id: _rating_id(row) for row in rows}
    facts = RatingFacts.load([rating_id for rating_id in wanted.values() if rating_id is not None])
    ready = []  # (outbox row, rating id, evalId, record)
    with db.atomic():
        # Every evalId is stored before the first send: a crash from here on re-sends the same ones.
        eval_ids = _eval_ids_for(list(facts), profile, clock.now())
        for row in rows:
            rating = facts.get(wanted[row.id])
            if rating is None:
                row.fail("评价记录不存在或推送内容无效")
                continue
            eval_id = eval_ids[rating.rating_id]
            try:
                ready.append((row, rating.rating_id, eval_id, profile.record(rating, eval_id, _change(row))))
            except MappingError as exc:
                _reject(row, rating.rating_id, eval_id, f"本地字段映射失败：{exc}")
                outcome["rejected"] += 1
    sent, accepted, rejected, missing, failed = [], [], [], [], None
    for start in range(0, len(ready), profile.batch_size):
        batch = ready[start : start + profile.batch_size]
        sent_at = clock.now()
        try:
            answer = client.send([record for _, _, _, record in batch])
        except TransientError as exc:
            failed = (batch, str(exc), sent_at)
            break  # the rest of the chunk stays queued as it was, untried
        sent.append(([rating_id for _, rating_id, _, _ in batch], sent_at))
        for item in batch:
            eval_id = item[2]
            if eval_id in answer.rejected:
                rejected.append((item, answer.rejected[eval_id]))
            elif eval_id in answer.accepted:
                accepted.append(item)
            else:
                missing.append(item)
    with db.atomic():
        if failed is not None:
            batch, reason, sent_at = failed
            sent.append(([rating_id for _, rating_id, _, _ in batch], sent_at))
            for row, *_ in batch:
                row.retry_later(reason, backoff(row.attempts, profile.backoff_seconds, profile.backoff_max_seconds))
            failing = [rating_id for _, rating_id, _, _ in batch]
            UpstreamPush.update(last_error=reason[:2000]).where(UpstreamPush.rating.in_(failing)).execute()
            outcome["retry"] += len(batch)
            outcome["transient"] = True
        _count_attempts(sent)
        _accept(accepted)
        for (row, rating_id, eval_id, _), reason in rejected:
            _reject(row, rating_id, eval_id, reason)
        for row, *_ in missing:
            reason = "上级系统应答中没有该记录"
            row.retry_later(reason, backoff(row.attempts, profile.backoff_seconds, profile.backoff_max_seconds))
    outcome["accepted"] += len(accepted)
    outcome["rejected"] += len(rejected)
    outcome["retry"] += len(missing)
    return outcome


def _rating_id(row):
    try:
        rating_id = row.data.get("rating_id")
    except (ValueError, AttributeError):
        return None  # a malformed payload must not block the queue
    return rating_id if isinstance(rating_id, int) and not isinstance(rating_id, bool) else None


def _change(row) -> dict | None:
    """A change row's payload (`UpstreamPush.queue_change`), or None for the rating's own row."""
    data = row.data
    if not isinstance(data.get("change"), int) or data.get("effective") not in (0, 1):
        return None
    return data


def _eval_ids_for(rating_ids: list[int], profile: Profile, now) -> dict:
    """{rating id: its evalId}, issuing (in one insert) the evalIds of ratings that have none."""
    eval_ids = UpstreamPush.eval_ids_for(rating_ids)
    # In rating order, as one insert at a time would have numbered them.
    missing = sorted(rating_id for rating_id in rating_ids if rating_id not in eval_ids)
    if missing:
        rows = [(rating_id, profile.new_eval_id(), now) for rating_id in missing]
        fields = [UpstreamPush.rating, UpstreamPush.eval_id, UpstreamPush.created_at]
        inserted = UpstreamPush.insert_many(rows, fields=fields).on_conflict_ignore(True).as_rowcount().execute()
        if inserted == len(rows):
            eval_ids.update((rating_id, eval_id) for rating_id, eval_id, _ in rows)
        else:  # a push created meanwhile keeps its evalId: read back what is stored
            eval_ids.update(UpstreamPush.eval_ids_for(missing))
    return eval_ids


def _count_attempts(sent: list) -> None:
    """One more attempt for each rating sent (one statement per send time; usually all the same second)."""
    by_time: dict = {}
    for rating_ids, sent_at in sent:
        by_time.setdefault(sent_at, []).extend(rating_ids)
    for sent_at, rating_ids in by_time.items():
        UpstreamPush.update(
            attempts=UpstreamPush.attempts + 1,
            last_sent_at=sent_at,
            first_sent_at=fn.COALESCE(UpstreamPush.first_sent_at, sent_at),
        ).where(UpstreamPush.rating.in_(rating_ids)).execute()


def _accept(accepted: list) -> None:
    """Mark accepted outbox rows and pushes, in two statements."""
    if not accepted:
        return
    now = clock.now()
    Outbox.update(state="sent", sent_at=now, last_error=None).where(
        Outbox.id.in_([row.id for row, *_ in accepted])
    ).execute()
    UpstreamPush.update(state="accepted", accepted_at=now, last_error=None, reject_reason=None).where(
        UpstreamPush.rating.in_([rating_id for _, rating_id, *_ in accepted])
    ).execute()


def _reject(row, rating_id: int, eval_id: str, reason: str) -> None:
    row.fail(f"上级系统拒收：{reason}")
    UpstreamPush.update(state="rejected", rejected_at=clock.now(), reject_reason=reason[:2000]).where(
        UpstreamPush.rating == rating_id
    ).execute()
    log.warning("upstream rejected rating %s (%s): %s", rating_id, eval_id, reason)


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
