"""Callbacks: stored first (by the webhook), processed after (by a job).

Every item gets a dedupe key — `(phone_number, sequence_id)` for a reply,
`(biz_id, phone_number)` for a delivery report, the number as its lookup
hash — so a repeated push is stored once and processed once. The item itself
is stored encrypted (SmsInbox.payload). A push is stored with one multi-row
INSERT that skips keys already stored.

The job drains the inbox in arrival order, in chunks of up to CHUNK callbacks
(sms/batch.py: a chunk's reads done once, its trailing writes done once). A chunk
holds at most one callback per phone. It reads and decides first, then writes in
one transaction: on SQLite only the writes hold the one write lock (`_chunk`).
When any of its callbacks raises, the chunk is rolled back and its callbacks are
redone one by one, each in its own transaction, so that the failing one is
marked failed and the others are handled.
"""

import json
import logging
import time
from contextlib import nullcontext

from peewee import chunked

from core import clock
from core.codes import normalize_phone
from core.crypto import PiiKeyError
from core.crypto import phone_hash
from core.errors import error
from models import db
from models.db import is_postgres
from models.read_phase import WriteRefused
from models.sms import SmsInbox
from ratings.batch import OneByOne

from . import router
from .batch import Batch
from .batch import Incoming
from .batch import Outcome
from .batch import settled
from .receipts import handle_report

log = logging.getLogger(__name__)

MAX_CONTENT = 1000


def _text(item: dict, key: str, required: bool = True, limit: int = 64) -> str | None:
    value = item.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit or (required and not value):
        error("invalid_item", f"回执字段 {key} 缺失或格式不正确", 400)
    return value


def _phone(item: dict) -> str:
    phone = normalize_phone(_text(item, "phone_number", limit=20))
    if phone is None:
        error("invalid_item", "回执字段 phone_number 不是有效的手机号码", 400)
    return phone


def _sequence_id(item: dict) -> str:
    value = item.get("sequence_id")
    # The current doc sends a string, the older one a number (MNS: a double).
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
        error("invalid_item", "回执字段 sequence_id 缺失或格式不正确", 400)
    if isinstance(value, float):
        if not value.is_integer():
            error("invalid_item", "回执字段 sequence_id 格式不正确", 400)
        value = int(value)
    text = str(value)
    if len(text) > 64:
        error("invalid_item", "回执字段 sequence_id 过长", 400)
    return text


def _up(item: dict) -> dict:
    phone = _phone(item)
    content = _text(item, "content", required=False, limit=MAX_CONTENT) or ""
    sequence_id = _sequence_id(item)
    for key in ("send_time", "dest_code", "sign_name"):
        _text(item, key, required=False)
    stored = {**item, "phone_number": phone, "sequence_id": sequence_id, "content": content}
    return stored


def _report(item: dict) -> dict:
    phone = _phone(item)
    _text(item, "biz_id")
    if not isinstance(item.get("success"), bool):
        error("invalid_item", "回执字段 success 必须是布尔值", 400)
    for key in ("out_id", "err_code", "send_time", "report_time", "sms_size"):
        _text(item, key, required=False)
    _text(item, "err_msg", required=False, limit=500)
    stored = {**item, "phone_number": phone}
    return stored


def dedupe_key(kind: str, stored: dict, lookup_hash: str | None = None) -> str:
    """What makes a callback item unique; the phone number only as its lookup hash."""
    lookup_hash = lookup_hash or phone_hash(stored["phone_number"])
    if kind == "up":
        return f"up:{lookup_hash}:{stored['sequence_id']}"
    return f"report:{stored['biz_id']}:{lookup_hash}"


def store_callback(kind: str, items: list) -> None:
    """Check every item, then store them all or nothing; a repeated item is a no-op."""
    parse = _up if kind == "up" else _report
    now = clock.now()
    rows = []
    for item in items:
        if not isinstance(item, dict):
            error("invalid_item", "回执数组的每一项必须是 JSON 对象", 400)
        stored = parse(item)
        lookup_hash = phone_hash(stored["phone_number"])
        rows.append(
            {
                "kind": kind,
                "dedupe_key": dedupe_key(kind, stored, lookup_hash),
                "payload": json.dumps(stored, ensure_ascii=False),
                "state": "pending",
                "received_at": now,
                "phone_bucket": SmsInbox.bucket_of(lookup_hash),
            }
        )
    with db.atomic():
        for part in chunked(rows, STORE_ROWS):
            SmsInbox.insert_many(part).on_conflict_ignore().execute()


# A chunk takes up to CHUNK callbacks and stops taking more after CHUNK_SECONDS of
# deciding: its writes (on SQLite under the one write lock, which every other writer
# waits for) grow with it.
CHUNK = 200
CHUNK_SECONDS = 0.2
MEASURED_CHUNK = 20  # a chunk this large tells the time a callback takes (a smaller one: its overhead)
POLL_SECONDS = 0.1
STORE_ROWS = 100  # rows per INSERT: 6 columns each, under SQLite's old 999-variable limit


def process_inbox(
    limit: int | None = None,
    budget_seconds: float | None = None,
    linger: bool = False,
    lane: tuple[int, int] | None = None,
) -> dict:
    """Handle stored callbacks in arrival order, each once, until none is pending —
    or `limit` callbacks are handled, or `budget_seconds` have passed (the next run
    goes on). With `linger`, an empty inbox is polled every POLL_SECONDS until the
    budget is spent (the job: a reply is taken up within POLL_SECONDS). `lane`
    `(index, lanes)` takes only that lane's phones (sms/lanes.py). Returns counts
    by outcome."""
    counts: dict = {}
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    handled = 0
    # Seconds a callback takes, the most seen in this run: CHUNK_SECONDS caps a chunk's
    # replies, not its writes after them, which take longer on a busy machine.
    per_callback = CHUNK_SECONDS / CHUNK
    with db.connection_context():
        while limit is None or handled < limit:
            size = CHUNK if limit is None else min(CHUNK, limit - handled)
            if deadline is not None and handled:
                # No chunk is started that might not end within the budget (a run that overran
                # would make the scheduler skip the job's next run: the inbox would wait an
                # interval); near the end, a smaller one that still does.
                size = min(size, int((deadline - time.monotonic()) / per_callback))
                if size < 1:
                    break
            # A plain read first: an empty inbox costs no transaction (no SQLite write lock).
            started = time.monotonic()
            done = _chunk(size, counts, lane) if _waiting(lane) else 0
            if done >= MEASURED_CHUNK:
                per_callback = max(per_callback, (time.monotonic() - started) / done)
            handled += done
            if done:
                continue
            if linger and deadline is not None and time.monotonic() + POLL_SECONDS + CHUNK_SECONDS < deadline:
                time.sleep(POLL_SECONDS)
            else:
                break
    return counts


def _waiting(lane: tuple[int, int] | None) -> bool:
    return SmsInbox.waiting(lane).exists()


def _chunk(size: int, counts: dict, lane: tuple[int, int] | None = None) -> int:
    """Handle one chunk; returns how many callbacks it handled (0: none pending).

    In two phases: the chunk's reads and decisions first, its writes after them. On
    SQLite only the writes hold the one write lock, so the webhook and the other lanes
    write while this lane reads and decides (PostgreSQL locks rows, not the database:
    there both phases are one transaction). The reads see committed data, as they do
    on PostgreSQL under READ COMMITTED; the one-rating rule holds by the unique index,
    and a callback taken meanwhile by another run is caught when the chunk marks its
    callbacks done."""
    # The reply limit per phone is counted once per callback, also when the chunk is redone.
    decisions: dict = {}
    rows: list[SmsInbox] = []
    try:
        with db.atomic() if is_postgres() else nullcontext():
            rows, data = _take(size, lane)
            if not rows:
                return 0
            batch = Batch(decisions)
            handled, redo = _decide(batch, rows, data)
            with nullcontext() if is_postgres() else db.atomic():
                for row in redo:  # replies that write at once: handled again, writes allowed
                    handled.append((row.id, _handle(batch, row, data[row.id])))
                batch.flush()  # the chunk's ratings, as one set: the outcomes are known after it
                results = [(row_id, *settled(outcome)) for row_id, outcome in handled]
                if SmsInbox.finish(results) != len(results):
                    raise Taken(f"{len(results)} callbacks handled, some of them by another run meanwhile")
    except Exception as exc:
        if not rows:
            raise  # the inbox itself could not be read: the job fails and is retried
        level = logging.INFO if isinstance(exc, (OneByOne, Taken)) else logging.WARNING
        log.log(level, "sms inbox chunk of %d rolled back (%s); handling its rows one by one", len(rows), exc)
        results = [(row.id, *_one_by_one(row, decisions)) for row in rows]
    for _id, outcome, _detail in results:
        if outcome is not None:
            counts[outcome] = counts.get(outcome, 0) + 1
    return len(results)


class Taken(Exception):
    """A callback of the chunk was handled by another run (a manual one) meanwhile."""


def _decide(batch: Batch, rows: list[SmsInbox], data: dict) -> tuple[list, list[SmsInbox]]:
    """The read phase: each reply handled as far as it goes without writing ((inbox id,
    outcome) pairs, their writes queued in `batch`), and the replies that wrote at once
    (their handling undone, to redo in the write phase). Stops taking replies after
    CHUNK_SECONDS: the rest stay pending for the next chunk."""
    handled, redo = [], []
    stop = time.monotonic() + CHUNK_SECONDS
    with db.obj.reading_only():
        batch.prefetch([data[row.id]["phone_number"] for row in rows if row.kind == "up"])
        for row in rows:
            mark = batch.mark()
            try:
                handled.append((row.id, _handle(batch, row, data[row.id])))
            except WriteRefused:
                batch.undo(mark)
                redo.append(row)
            if time.monotonic() >= stop:
                break
    return handled, redo


def _take(size: int, lane: tuple[int, int] | None = None) -> tuple[list[SmsInbox], dict[int, dict | None]]:
    """The next pending callbacks (of the lane), cut before the first repeated phone, and their items."""
    try:
        rows = list(_locked(SmsInbox.pending(size, lane)))
    except PiiKeyError:
        # A stored item that does not decrypt (a key dropped, altered data): take the
        # callbacks one at a time, so that it fails alone in the one-by-one redo.
        first = _locked(SmsInbox.waiting(lane).select(SmsInbox.id, SmsInbox.kind).order_by(SmsInbox.id).limit(1))
        return [row := first.get()], {row.id: None}
    taken, data, phones = [], {}, set()
    for row in rows:
        item = row.data
        phone = phone_hash(item["phone_number"])
        if phone in phones:
            break
        phones.add(phone)
        taken.append(row)
        data[row.id] = item
    return taken, data


def _locked(query):
    if is_postgres():
        # Another processor running now (a manual run) takes other rows.
        query = query.for_update("FOR UPDATE SKIP LOCKED")
    return query


def _handle(batch: Batch, row: SmsInbox, data: dict) -> Outcome:
    if row.kind == "up":
        return router.handle_reply(Incoming(row.id, data["phone_number"], data.get("content") or "", batch))
    return handle_report(data)


def _one_by_one(row: SmsInbox, decisions: dict) -> tuple[str | None, str | None]:
    """One callback in its own transaction, claimed first; an error marks it failed."""
    try:
        with db.atomic():
            claimed = (
                SmsInbox.update(state="done", processed_at=clock.now())
                .where((SmsInbox.id == row.id) & (SmsInbox.state == "pending"))
                .execute()
            )
            if claimed != 1:
                return None, None  # handled meanwhile by another run
            stored = SmsInbox.get_by_id(row.id)
            batch = Batch(decisions)  # a batch of one: the same path as a chunk
            pending = _handle(batch, stored, stored.data)
            batch.flush()
            outcome, detail = settled(pending)
            SmsInbox.update(outcome=outcome, detail=detail).where(SmsInbox.id == row.id).execute()
            return outcome, detail
    except Exception:
        log.exception("sms inbox row %s could not be processed", row.id)
        SmsInbox.update(state="failed", outcome="error", detail="处理出错，请检查日志").where(
            (SmsInbox.id == row.id) & (SmsInbox.state == "pending")
        ).execute()
        return "error", None
