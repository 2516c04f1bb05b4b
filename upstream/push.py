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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field

from core import clock
from core.config import current_settings
from models import Outbox
from models import UpstreamPush
from models import db
from models.bulk import Raw
from models.bulk import insert_returning
from models.bulk import to_db
from models.bulk import update_by_id
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
# A new push: these columns (the rest NULL), values built as plain tuples, no model instances.
PUSH_COLUMNS = ("rating", "eval_id", "state", "attempts", "requeued", "changes", "created_at")


def current_profile() -> Profile:
    return Profile.from_settings(current_settings().upstream)


def push_due(client: Client | None = None, run_seconds: float = RUN_SECONDS, chunk_rows: int = CHUNK_ROWS) -> dict:
    """The scheduler job: send what is due, chunk by chunk, until nothing is due or time is up.

    The requests of a chunk go out from a sender thread (HTTP only, no database). While they
    are in flight this thread does the next chunk's database work (its queued rows, behind
    those in flight; their facts; their evalIds, stored before any is sent); when the answers
    are in, the next chunk's requests go out and this one's answers are settled meanwhile:
    the push waits for the city, not for its own bookkeeping."""
    settings = current_settings().upstream
    if not settings.enabled:
        return {"enabled": False}
    profile = Profile.from_settings(settings)
    client = client or Client(profile)
    limit = profile.batch_size * max(1, -(-chunk_rows // profile.batch_size))
    totals = {"accepted": 0, "rejected": 0, "retry": 0}
    deadline = time.monotonic() + run_seconds
    with db.connection_context(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="upstream-push") as sender:
        started = time.monotonic()
        chunk = _prepare(_due(limit), profile)
        in_flight = sender.submit(_send, chunk, profile, client) if chunk.rows else None
        while in_flight is not None:
            following = None
            now = time.monotonic()
            # Work ahead only when the chunk was full and another one fits in the run's time.
            if len(chunk.rows) == limit and now + 2 * (now - started) <= deadline:
                following = _prepare(_due(limit, after=chunk.rows[-1]), profile)
            result = in_flight.result()
            in_flight = None
            if following is not None and following.rows and result.failed is None:
                in_flight = sender.submit(_send, following, profile, client)  # sent while this one is settled
            outcome = _settle(chunk, result, profile)
            for key in totals:
                totals[key] += outcome[key]
            # The city struggling (a failed request), or nothing more in time: the rest waits for the next run.
            chunk, started = following, now
    if any(totals.values()):
        log.info("upstream push: %(accepted)d accepted, %(rejected)d rejected, %(retry)d to retry", totals)
    return totals


def push_rows(rows: list, profile: Profile, client: Client) -> dict:
    """Queued rows as requests of `batch_size`, with one transaction before the first and one after the last."""
    chunk = _prepare(rows, profile)
    return _settle(chunk, _send(chunk, profile, client), profile)


def _due(limit: int, after=None) -> list:
    """The queued rows due now, in queue order; with `after` (the last row of the chunk in flight),
    only those behind it. Built from plain rows (models.bulk.build): a chunk is 500 of them."""
    return Outbox.due_rows(KIND, limit, after)


@dataclass
class Chunk:
    rows: list
    ready: list = field(default_factory=list)  # (outbox row, rating id, evalId, record)
    rejected_early: int = 0  # records the local mapping refused


def _prepare(rows: list, profile: Profile) -> Chunk:
    """The chunk's records, every evalId stored (committed) before the first send: a crash
    from here on re-sends the same ones."""
    chunk = Chunk(rows)
    if not rows:
        return chunk
    payloads = {row.id: _payload(row) for row in rows}  # each JSON read once: a chunk is 500 rows
    wanted = {row_id: _rating_id(data) for row_id, data in payloads.items()}
    facts = RatingFacts.load([rating_id for rating_id in wanted.values() if rating_id is not None])
    with db.atomic():
        eval_ids = _eval_ids_for(list(facts), profile, clock.now())
        for row in rows:
            rating = facts.get(wanted[row.id])
            if rating is None:
                row.fail("评价记录不存在或推送内容无效")
                continue
            eval_id = eval_ids[rating.rating_id]
            try:
                record = profile.record(rating, eval_id, _change(payloads[row.id]))
                chunk.ready.append((row, rating.rating_id, eval_id, record))
            except MappingError as exc:
                _reject(row, rating.rating_id, eval_id, f"本地字段映射失败：{exc}")
                chunk.rejected_early += 1
    return chunk


@dataclass
class Sent:
    sent: list = field(default_factory=list)  # ([rating ids], sent at) per request answered
    accepted: list = field(default_factory=list)
    rejected: list = field(default_factory=list)  # (item, reason)
    missing: list = field(default_factory=list)
    failed: tuple | None = None  # (batch, reason, sent at) of the request that failed


def _send(chunk: Chunk, profile: Profile, client: Client) -> Sent:
    """The chunk's requests, one after another (HTTP only: no database in this thread)."""
    out = Sent()
    for start in range(0, len(chunk.ready), profile.batch_size):
        batch = chunk.ready[start : start + profile.batch_size]
        sent_at = clock.now()
        try:
            answer = client.send([record for _, _, _, record in batch])
        except TransientError as exc:
            out.failed = (batch, str(exc), sent_at)
            break  # the rest of the chunk stays queued as it was, untried
        out.sent.append(([rating_id for _, rating_id, _, _ in batch], sent_at))
        for item in batch:
            eval_id = item[2]
            if eval_id in answer.rejected:
                out.rejected.append((item, answer.rejected[eval_id]))
            elif eval_id in answer.accepted:
                out.accepted.append(item)
            else:
                out.missing.append(item)
    return out


def _settle(chunk: Chunk, result: Sent, profile: Profile) -> dict:
    """The answers, in one transaction."""
    outcome = {"accepted": 0, "rejected": chunk.rejected_early, "retry": 0, "transient": False}
    sent = list(result.sent)
    with db.atomic():
        if result.failed is not None:
            batch, reason, sent_at = result.failed
            sent.append(([rating_id for _, rating_id, _, _ in batch], sent_at))
            for row, *_ in batch:
                row.retry_later(reason, backoff(row.attempts, profile.backoff_seconds, profile.backoff_max_seconds))
            failing = [rating_id for _, rating_id, _, _ in batch]
            UpstreamPush.update(last_error=reason[:2000]).where(UpstreamPush.rating.in_(failing)).execute()
            outcome["retry"] += len(batch)
            outcome["transient"] = True
        _count_attempts(sent, {rating_id for _, rating_id, _, _ in result.accepted})
        _accept(result.accepted)
        for (row, rating_id, eval_id, _), reason in result.rejected:
            _reject(row, rating_id, eval_id, reason)
        for row, *_ in result.missing:
            reason = "上级系统应答中没有该记录"
            row.retry_later(reason, backoff(row.attempts, profile.backoff_seconds, profile.backoff_max_seconds))
    outcome["accepted"] += len(result.accepted)
    outcome["rejected"] += len(result.rejected)
    outcome["retry"] += len(result.missing)
    return outcome


def _payload(row) -> dict | None:
    try:
        data = row.data
    except ValueError:
        return None  # a malformed payload must not block the queue
    return data if isinstance(data, dict) else None


def _rating_id(data: dict | None):
    rating_id = None if data is None else data.get("rating_id")
    return rating_id if isinstance(rating_id, int) and not isinstance(rating_id, bool) else None


def _change(data: dict | None) -> dict | None:
    """A change row's payload (`UpstreamPush.queue_change`), or None for the rating's own row."""
    if data is None or not isinstance(data.get("change"), int) or data.get("effective") not in (0, 1):
        return None
    return data


def _eval_ids_for(rating_ids: list[int], profile: Profile, now) -> dict:
    """{rating id: its evalId}, issuing (in one insert) the evalIds of ratings that have none.

    The insert comes first: a rating pushed before (requeued, retried) keeps its push, skipped
    by ON CONFLICT, and is read back; a push created meanwhile by another writer too (the
    INSERT waits for it). The usual chunk, all new ratings, costs one statement."""
    if not rating_ids:
        return {}
    # In rating order, as one insert at a time would have written them. Plain tuples, SQL built once (models.bulk).
    # The columns every new push shares go through their fields' db_value once, not once a row.
    ordered = sorted(rating_ids)
    shared = to_db(UpstreamPush, PUSH_COLUMNS[2:], [("pending", 0, 0, 0, now)])[0]
    rows = [(r, eval_id, *shared) for r, eval_id in zip(ordered, profile.new_eval_ids(len(ordered)), strict=True)]
    eval_ids = dict(insert_returning(UpstreamPush, PUSH_COLUMNS, rows, ("rating", "eval_id")))
    if len(eval_ids) < len(rows):
        eval_ids.update(UpstreamPush.eval_ids_for([r for r in ordered if r not in eval_ids]))
    return eval_ids


def _count_attempts(sent: list, accepted: set) -> None:
    """One more attempt for each rating sent (one statement per send time; usually all the same
    second); the `accepted` ones (rating ids) marked accepted in the same statement."""
    by_time: dict = {}
    for rating_ids, sent_at in sent:
        by_time.setdefault(sent_at, []).extend(rating_ids)
    now = clock.now()
    for sent_at, rating_ids in by_time.items():
        changes = {"last_sent_at": sent_at, "first_sent_at": Raw('COALESCE("first_sent_at", ?)', sent_at)}
        done = [rating_id for rating_id in rating_ids if rating_id in accepted]
        others = [rating_id for rating_id in rating_ids if rating_id not in accepted] if done else rating_ids
        # One new version of each accepted push, not two (an UPDATE for the attempt, one for the answer).
        update_by_id(
            UpstreamPush, done, {**changes, **_ACCEPTED, "accepted_at": now}, increment="attempts", key="rating"
        )
        update_by_id(UpstreamPush, others, changes, increment="attempts", key="rating")


_ACCEPTED = {"state": "accepted", "last_error": None, "reject_reason": None}


def _accept(accepted: list) -> None:
    """Mark accepted outbox rows (their pushes are marked by `_count_attempts`), in one statement."""
    if not accepted:
        return
    update_by_id(
        Outbox, [row.id for row, *_ in accepted], {"state": "sent", "sent_at": clock.now(), "last_error": None}
    )


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
