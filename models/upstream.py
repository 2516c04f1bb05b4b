"""What the city 好差评 system holds: per-rating push state, reconciliations,
and the scheduler's record of its job runs."""

import os

from peewee import BooleanField
from peewee import CharField
from peewee import DateField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField
from peewee import fn

from core import clock

from .bulk import select_in
from .db import BaseModel
from .outbox import Outbox
from .rating import Rating

# The outbox kind of every delivery to the city: a rating, and each later change of it.
PUSH_KIND = "upstream.rating"


def queue_first_push(rating_id: int, at) -> None:
    """A new rating's outbox row for the city, in the caller's transaction (every rating has one)."""
    Outbox.put_plain(PUSH_KIND, f"rating:{rating_id}", f'{{"rating_id": {rating_id}}}', at)


def queue_first_pushes(rating_ids) -> None:
    """`queue_first_push` for many new ratings at once (multi-row INSERTs), due now."""
    Outbox.put_many([Outbox.row(PUSH_KIND, f"rating:{r}", {"rating_id": r}) for r in rating_ids])


PUSH_STATES = {
    "pending": "待推送",
    "accepted": "已接收",
    "rejected": "被拒收",
}


class UpstreamPush(BaseModel):
    """One rating's journey to the city system; `eval_id` never changes once issued."""

    rating = ForeignKeyField(Rating, unique=True, backref="upstream_push", on_delete="CASCADE")
    # The idempotency key: the same on every retry, correction and 补报.
    eval_id = CharField(max_length=64, unique=True)
    state = CharField(max_length=16, default="pending", index=True)
    attempts = IntegerField(default=0)
    # The last transient failure (5xx, timeout), for staff.
    last_error = TextField(null=True)
    # The city's reason when it rejected the record; kept until a push is accepted.
    reject_reason = TextField(null=True)
    first_sent_at = DateTimeField(null=True)
    last_sent_at = DateTimeField(null=True)
    accepted_at = DateTimeField(null=True)
    rejected_at = DateTimeField(null=True)
    # How often the record was queued again: after a correction or by the reconciliation.
    requeued = IntegerField(default=0)
    # Changes of the rating's `effective` queued for the city (appeal decisions, fraud reviews):
    # change n is sent once, under the same evalId, as `changeNo` n; the city keeps the highest.
    changes = IntegerField(default=0)
    created_at = DateTimeField(default=clock.now)

    @staticmethod
    def new_eval_id(area_code: str) -> str:
        """Issued once per rating and stored: stable across retries, restarts and re-installs."""
        return UpstreamPush.new_eval_ids(area_code, 1)[0]

    @staticmethod
    def new_eval_ids(area_code: str, count: int) -> list[str]:
        """`count` evalIds: the area code and a random UUID (version 4) as 32 hex digits. The
        version bits are set here, not by `uuid.UUID`, from one read of the random source: a
        push issues hundreds at a time, and `uuid4()` cost 5 µs an id against 0.4."""
        random = bytearray(os.urandom(16 * count))
        random[6::16] = bytes((b & 0x0F) | 0x40 for b in random[6::16])  # the version, 4
        random[8::16] = bytes((b & 0x3F) | 0x80 for b in random[8::16])  # the RFC 4122 variant
        text = random.hex()
        return [f"{area_code}-{text[i : i + 32]}" for i in range(0, 32 * count, 32)]

    @classmethod
    def queue_change(cls, rating_id: int, area_code: str) -> int:
        """Queue the rating as it now stands (`effective` 1, or 0 with its reason while it is
        excluded) as its next change for the city, in the caller's transaction: one outbox row
        per change, whatever the job does later. Returns the change number."""
        now = clock.now()
        cls.insert(rating=rating_id, eval_id=cls.new_eval_id(area_code), created_at=now).on_conflict_ignore().execute()
        cls.update(changes=cls.changes + 1).where(cls.rating == rating_id).execute()
        number = cls.select(cls.changes).where(cls.rating == rating_id).scalar()
        excluded, reason = (
            Rating.select(Rating.excluded, Rating.excluded_reason).where(Rating.id == rating_id).tuples()[0]
        )
        change = {"rating_id": rating_id, "change": number, "effective": 0 if excluded else 1}
        if excluded:
            change["reason"] = reason or "评价已排除"
        Outbox.put(PUSH_KIND, f"rating:{rating_id}:change:{number}", change)
        return number

    @classmethod
    def change_pending(cls, rating_id: int) -> bool:
        """Whether the rating's latest change still waits for the city."""
        number = cls.select(cls.changes).where(cls.rating == rating_id).scalar()
        if not number:
            return False
        key = f"rating:{rating_id}:change:{number}"
        return Outbox.select().where((Outbox.dedupe_key == key) & (Outbox.state == "pending")).exists()

    @classmethod
    def for_rating_id(cls, rating_id: int):
        return cls.get_or_none(cls.rating == rating_id)

    @classmethod
    def eval_ids_for(cls, rating_ids: list[int]) -> dict:
        """{rating id: evalId} of those ratings that have one (SQL built once: models.bulk)."""
        return dict(select_in(cls, ("rating", "eval_id"), "rating", list(rating_ids)))

    @classmethod
    def counts(cls) -> dict:
        rows = cls.select(cls.state, fn.COUNT(cls.id).alias("n")).group_by(cls.state)
        return {row.state: row.n for row in rows}


class UpstreamReconciliation(BaseModel):
    """One day compared with the city's list (对账); what was missing is re-queued (补报)."""

    day = DateField(index=True)
    ran_at = DateTimeField(default=clock.now, index=True)
    # ok (both sides agree), resent (补报 queued), failed (the city could not be asked)
    state = CharField(max_length=16)
    local_count = IntegerField(default=0)
    city_count = IntegerField(default=0)
    missing_count = IntegerField(default=0)
    unknown_count = IntegerField(default=0)
    # Ratings the city holds with another `effective` than ours: their state is sent again.
    effective_mismatch_count = IntegerField(default=0)
    error = TextField(null=True)

    @classmethod
    def latest(cls, limit: int = 30):
        return cls.select().order_by(cls.ran_at.desc(), cls.id.desc()).limit(limit)


class JobRun(BaseModel):
    """The last run of each scheduled job, written by the scheduler process."""

    job_id = CharField(max_length=64, unique=True)
    pid = IntegerField(null=True)
    host = CharField(max_length=100, default="")
    last_started_at = DateTimeField(null=True)
    last_finished_at = DateTimeField(null=True)
    last_ok = BooleanField(default=True)
    last_error = TextField(null=True)
    runs = IntegerField(default=0)
    failures = IntegerField(default=0)
