"""The SMS bot's own rows: every SMS it sends (SmsMessage) and every callback
Aliyun posts to it (SmsInbox), stored before it is processed."""

import datetime as dt
import json

from peewee import SQL
from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField
from peewee import chunked
from peewee import fn

from core import clock
from core.crypto import phone_hash

from .bulk import build
from .case import Invitation
from .db import BaseModel
from .db import db
from .pii import EncryptedField
from .pii import LookupHashField
from .pii import PiiModel

# sending: handed to the provider, no answer yet; unknown: the answer was lost
# (timeout, network) and the provider must be asked before sending again.
MESSAGE_STATES = ("sending", "unknown", "sent", "delivered", "failed")
LIVE_STATES = ("sending", "unknown", "sent", "delivered")
# Purposes that count against the per-phone daily cap and respect opt-out.
CAPPED_PURPOSES = ("invite", "reminder")


class SmsMessage(PiiModel):
    """One SMS to one phone. A message that expects an answer is a prompt:
    replies from that phone are routed by the purpose of its newest open prompt."""

    outbox_id = IntegerField(index=True)
    invitation = ForeignKeyField(Invitation, null=True, backref="messages", on_delete="CASCADE")
    # Personal data (PIPL): encrypted, masked wherever staff see it, never
    # logged; cleared after retention (the row stays for the counts).
    phone = EncryptedField(null=True, lookup="phone")
    phone_hash = LookupHashField(null=True, index=True)
    purpose = CharField(max_length=24)
    ref = CharField(max_length=64, null=True)
    provider = CharField(max_length=16)
    template_code = CharField(max_length=32)
    params = TextField(default="{}")
    text = TextField()
    out_id = CharField(max_length=64)
    state = CharField(max_length=16, default="sending")
    provider_id = CharField(max_length=64, null=True, index=True)
    error_code = CharField(max_length=64, null=True)
    error_message = TextField(null=True)
    # JSON: what the prompt needs to understand the answer (choices, a pending level).
    context = TextField(null=True)
    expects_reply_until = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now, index=True)
    sent_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)

    @property
    def data(self) -> dict:
        return json.loads(self.context) if self.context else {}

    @classmethod
    def attempt_for(cls, outbox_id: int):
        """The unfinished attempt of an outbox row (its answer never arrived)."""
        return (
            cls.select()
            .where((cls.outbox_id == outbox_id) & cls.state.in_(("sending", "unknown")))
            .order_by(cls.id.desc())
            .first()
        )

    @classmethod
    def capped_count(cls, phone: str, day: dt.date) -> int:
        start = dt.datetime.combine(day, dt.time())
        return (
            cls.select()
            .where(
                (cls.phone_hash == phone_hash(phone))
                & cls.purpose.in_(CAPPED_PURPOSES)
                & cls.state.in_(LIVE_STATES)
                & (cls.created_at >= start)
                & (cls.created_at < start + dt.timedelta(days=1))
            )
            .count()
        )

    @classmethod
    def open_prompts(cls, phone: str):
        """Prompts to `phone` still waiting for an answer, newest first."""
        return cls._open(cls.phone_hash == phone_hash(phone))

    @classmethod
    def open_prompts_by_phone(cls, hashes: list[str]) -> dict[str, list]:
        """{phone hash: its open prompts, newest first} for many phones in one query."""
        found: dict[str, list] = {h: [] for h in hashes}
        names = tuple(field.name for field in PROMPT_FIELDS)
        for part in chunked(hashes, 500):
            for row in db.execute_sql(*cls._open(cls.phone_hash.in_(part)).sql()).fetchall():
                prompt = build(cls, names, row)  # plain rows, as models.bulk.build explains
                found[prompt.phone_hash].append(prompt)
        return found

    @classmethod
    def _open(cls, phones):
        # What a conversation reads of a prompt: its purpose, reference and context — not the
        # encrypted phone or the text (decrypting every prompt of a chunk cost more than its query).
        return (
            cls.select(*PROMPT_FIELDS)
            .where(
                phones
                & cls.closed_at.is_null()
                & (cls.expects_reply_until > clock.now())
                # Only what reached the provider can be answered.
                & cls.state.in_(("sent", "delivered"))
            )
            .order_by(cls.created_at.desc(), cls.id.desc())
        )

    @classmethod
    def close_prompts(cls, phone: str, purposes=None, ref: str | None = None) -> None:
        query = cls.update(closed_at=clock.now()).where((cls.phone_hash == phone_hash(phone)) & cls.closed_at.is_null())
        if purposes:
            query = query.where(cls.purpose.in_(purposes))
        if ref:
            query = query.where(cls.ref == ref)
        query.execute()

    @classmethod
    def close_rated(cls, pairs: list[tuple[str, str]]) -> None:
        """For each (phone hash, ref) of a rated invitation: close that phone's
        prompts about it and its clarifications — one UPDATE for many phones, its SQL
        written here (peewee compiled the pairs' IN list slower than the UPDATE ran)."""
        now = cls.closed_at.db_value(clock.now())
        p = db.obj.param
        for part in chunked(pairs, 200):  # 3 variables each, under SQLite's old 999-variable limit
            hashes = ", ".join([p] * len(part))
            tuples = ", ".join([f"({p}, {p})"] * len(part))
            sql = (
                f"UPDATE sms_message SET closed_at = {p} WHERE closed_at IS NULL AND phone_hash IN ({hashes}) "  # noqa: S608
                f"AND (purpose = 'clarify' OR (phone_hash, ref) IN (VALUES {tuples}))"
            )
            db.execute_sql(sql, [now, *(h for h, _ in part), *(v for pair in part for v in pair)])

    @classmethod
    def by_provider_id(cls, biz_id: str):
        return cls.get_or_none(cls.provider_id == biz_id)

    @classmethod
    def state_counts(cls, since: dt.datetime | None = None) -> dict:
        query = cls.select(cls.purpose, cls.state, fn.COUNT(cls.id).alias("n"))
        if since is not None:
            query = query.where(cls.created_at >= since)
        return {(row.purpose, row.state): row.n for row in query.group_by(cls.purpose, cls.state)}


# What a conversation reads of a prompt (SmsMessage._open).
PROMPT_FIELDS = (
    SmsMessage.id,
    SmsMessage.phone_hash,
    SmsMessage.purpose,
    SmsMessage.ref,
    SmsMessage.context,
    SmsMessage.state,
    SmsMessage.created_at,
)

INBOX_KINDS = ("up", "report")
INBOX_STATES = ("pending", "done", "failed")


# A phone's callbacks fall into one of these buckets; of n drain lanes, lane i takes the
# i-th n-th of them (any lane count up to this many).
PHONE_BUCKETS = 1024


class SmsInbox(BaseModel):
    """One callback item exactly as Aliyun posted it; processed later by a job.
    The unique dedupe key makes a repeated push a no-op. The item carries the
    phone number (and the citizen's words): stored encrypted, and the dedupe
    key names the number by its lookup hash only."""

    kind = CharField(max_length=8)
    dedupe_key = CharField(max_length=160, unique=True)
    payload = EncryptedField()
    state = CharField(max_length=16, default="pending")
    # What processing concluded ("rated", "clarified", "opted_out", …), for staff.
    outcome = CharField(max_length=32, null=True)
    detail = TextField(null=True)
    received_at = DateTimeField(default=clock.now)
    processed_at = DateTimeField(null=True)
    # Which drain lane takes the callback (sms/lanes.py): from the phone's lookup hash, so
    # that one phone's callbacks always go to one lane, in arrival order.
    phone_bucket = IntegerField(default=0)

    class Meta:
        indexes = ((("state", "id"), False),)

    @property
    def data(self) -> dict:
        return json.loads(self.payload)

    @classmethod
    def backlog(cls, cap: int) -> int:
        """Callbacks waiting to be processed, counted up to `cap` (the (state, id) index)."""
        pending = cls.select(cls.id).where(cls.state == "pending").limit(cap)
        return cls.select(fn.COUNT(SQL("*"))).from_(pending.alias("waiting")).scalar()

    @staticmethod
    def bucket_of(lookup_hash: str) -> int:
        """The phone bucket of a phone's lookup hash (hex): 0 … PHONE_BUCKETS - 1."""
        return int(lookup_hash[:8], 16) % PHONE_BUCKETS

    @classmethod
    def waiting(cls, lane: tuple[int, int] | None = None):
        """Pending callbacks (of one lane: `(index, lanes)`), unordered."""
        query = cls.select().where(cls.state == "pending")
        if lane is not None and lane[1] > 1:
            index, lanes = lane
            low, high = index * PHONE_BUCKETS // lanes, (index + 1) * PHONE_BUCKETS // lanes
            query = query.where((cls.phone_bucket >= low) & (cls.phone_bucket < high))
        return query

    @classmethod
    def pending(cls, limit: int = 200, lane: tuple[int, int] | None = None):
        """The next pending callbacks in arrival order (of one lane)."""
        return cls.waiting(lane).order_by(cls.id).limit(limit)

    @classmethod
    def finish(cls, results: list[tuple[int, str, str | None]]) -> int:
        """Mark handled callbacks done with their (outcome, detail), one UPDATE per 100
        (5 variables each: under SQLite's old 999-variable limit); its SQL written here,
        not compiled by peewee per value (that cost more than the UPDATE). Returns how
        many were still pending (the others were taken by another run meanwhile)."""
        now = cls.processed_at.db_value(clock.now())
        p = db.obj.param
        marked = 0
        for part in chunked(results, 100):
            whens = " ".join([f"WHEN {p} THEN {p}"] * len(part))
            marks = ", ".join([p] * len(part))
            sql = (
                f"UPDATE sms_inbox SET state = 'done', processed_at = {p}, outcome = CASE id {whens} END, "  # noqa: S608
                f"detail = CASE id {whens} END WHERE id IN ({marks}) AND state = 'pending'"
            )
            params = [now]
            params += [v for row_id, outcome, _ in part for v in (row_id, outcome)]
            params += [v for row_id, _, detail in part for v in (row_id, detail)]
            params += [row_id for row_id, _, _ in part]
            marked += db.execute_sql(sql, params).rowcount
        return marked
