"""What the city 好差评 system holds: per-rating push state, reconciliations,
and the scheduler's record of its job runs."""

from peewee import BooleanField
from peewee import CharField
from peewee import DateField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField
from peewee import fn

from core import clock

from .db import BaseModel
from .rating import Rating

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
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def for_rating_id(cls, rating_id: int):
        return cls.get_or_none(cls.rating == rating_id)

    @classmethod
    def eval_ids_for(cls, rating_ids: list[int]) -> dict:
        """{rating id: evalId} of those ratings that have one."""
        return dict(cls.select(cls.rating, cls.eval_id).where(cls.rating.in_(rating_ids)).tuples())

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
