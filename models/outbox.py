"""The outbox: every message that leaves the process (SMS, WeChat, upstream).

A row is written in the same transaction as the change that causes it and is
sent later by the scheduler, so nothing is lost when a provider is down. The
unique `dedupe_key` makes writing the same message twice a no-op.
"""

import datetime
import json

from peewee import CharField
from peewee import DateTimeField
from peewee import IntegerField
from peewee import TextField
from peewee import fn

from core import clock
from core.crypto import decrypt
from core.crypto import encrypt

from .bulk import build
from .bulk import insert_rows
from .bulk import to_db
from .db import BaseModel
from .db import db
from .db import insert_row
from .db import is_postgres
from .db import prepared

OUTBOX_STATES = ("pending", "sent", "failed")
# A payload's phone number is stored encrypted under this key (PIPL);
# `data` gives it back as "phone".
SEALED_PHONE = "phone_enc"
PHONE_CONTEXT = "outbox.payload.phone"
ROW_COLUMNS = ("kind", "dedupe_key", "payload", "state", "attempts", "available_at", "created_at")  # of `row()`


class Outbox(BaseModel):
    # What to send: "sms.invite", "upstream.rating", "wechat.subscribe", …
    kind = CharField(max_length=32)
    dedupe_key = CharField(max_length=128, unique=True)
    payload = TextField(default="{}")
    state = CharField(max_length=16, default="pending")
    attempts = IntegerField(default=0)
    available_at = DateTimeField(default=clock.now)
    last_error = TextField(null=True)
    created_at = DateTimeField(default=clock.now)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("state", "kind", "available_at"), False),)

    @classmethod
    def put(cls, kind: str, dedupe_key: str, payload: dict, available_at=None) -> None:
        """Queue a message once; a second put with the same key changes nothing."""
        # Prepared SQL, and on PostgreSQL sent with the transaction's next statement: see insert_row.
        insert_row(cls, cls.row(kind, dedupe_key, payload, available_at), ignore=True, defer=True)

    @classmethod
    def put_plain(cls, kind: str, dedupe_key: str, payload_json: str, at: datetime.datetime) -> None:
        """`put` of a payload already JSON that holds no phone number, due at `at`: the SQL and
        its parameters without `row()`'s and `insert_row`'s generic steps, which cost a rating's
        request more than the INSERT itself (its upstream row, on every rating)."""
        sql = prepared("outbox.put_plain", _plain_sql)
        db.execute_deferred(sql, (kind, dedupe_key, payload_json, "pending", 0, at, at), prepared=True)

    @classmethod
    def put_many(cls, rows: list[dict]) -> None:
        """`put` for many rows of `row()`: multi-row INSERTs, SQL text built once (models.bulk)."""
        if rows:
            values = to_db(cls, ROW_COLUMNS, [tuple(row[name] for name in ROW_COLUMNS) for row in rows])
            insert_rows(cls, ROW_COLUMNS, values, unique=("dedupe_key",))

    @staticmethod
    def row(kind: str, dedupe_key: str, payload: dict, available_at=None) -> dict:
        """The columns of a queued message (its payload sealed: see `seal`)."""
        now = clock.now()
        return {
            "kind": kind,
            "dedupe_key": dedupe_key,
            "payload": json.dumps(seal(payload), ensure_ascii=False),
            "state": "pending",
            "attempts": 0,
            "available_at": available_at or now,
            "created_at": now,
        }

    @classmethod
    def due(cls, kind: str, limit: int = 100):
        return (
            cls.select()
            .where((cls.state == "pending") & (cls.kind == kind) & (cls.available_at <= clock.now()))
            .order_by(cls.available_at, cls.id)
            .limit(limit)
        )

    # What a job working through the queue reads of a row: enough to send it (`payload`), to
    # settle it (`fail`, `retry_later`, `mark_sent` by id) and to read on behind it (`after`).
    WORKING_FIELDS = ("id", "payload", "attempts", "available_at")

    @classmethod
    def due_rows(cls, kind: str, limit: int, after=None) -> list:
        """`due` as model instances of the WORKING_FIELDS built from plain rows (models.bulk.build),
        for a job that takes hundreds at a time; with `after` (a row), only the rows behind it in
        the queue's order."""
        p = db.obj.param
        names = cls.WORKING_FIELDS
        columns = ", ".join(f'"{cls._meta.fields[n].column_name}"' for n in names)
        table = cls._meta.table_name
        sql = f"SELECT {columns} FROM \"{table}\" WHERE state = 'pending' AND kind = {p} AND available_at <= {p}"  # noqa: S608
        params = [kind, cls.available_at.db_value(clock.now())]
        if after is not None:
            # A row value, with its first column as a plain bound: both backends then read the
            # index from `after` on. Written as `a > ? OR (a = ? AND id > ?)`, SQLite 3.40 ORed
            # two index searches and sorted every pending row behind `after` (70 ms a chunk
            # with a backlog of 100,000).
            sql += f" AND available_at >= {p} AND (available_at, id) > ({p}, {p})"
            at = cls.available_at.db_value(after.available_at)
            params += [at, at, after.id]
        sql += f" ORDER BY available_at, id LIMIT {p}"
        return [build(cls, names, row) for row in db.execute_sql(sql, [*params, limit]).fetchall()]

    @property
    def data(self) -> dict:
        data = json.loads(self.payload)
        if isinstance(data, dict) and SEALED_PHONE in data:
            data["phone"] = decrypt(data.pop(SEALED_PHONE), PHONE_CONTEXT)
        return data

    def mark_sent(self) -> None:
        self.state, self.sent_at, self.last_error = "sent", clock.now(), None
        self.save(only=[Outbox.state, Outbox.sent_at, Outbox.last_error])

    def retry_later(self, reason: str, delay_seconds: float) -> None:
        """A transient failure: try again after `delay_seconds`."""
        self.attempts += 1
        self.last_error = reason[:2000]
        self.available_at = clock.now() + datetime.timedelta(seconds=delay_seconds)
        self.save(only=[Outbox.attempts, Outbox.last_error, Outbox.available_at])

    def fail(self, reason: str) -> None:
        """A permanent failure: kept with its reason for staff, never retried by itself."""
        self.attempts += 1
        self.state, self.last_error = "failed", reason[:2000]
        self.save(only=[Outbox.attempts, Outbox.state, Outbox.last_error])

    @classmethod
    def with_phone(cls):
        """Rows whose payload carries an (encrypted) phone number."""
        return cls.select().where(cls.payload.contains(f'"{SEALED_PHONE}"'))

    @classmethod
    def backlog(cls) -> dict:
        """{(kind, state): count}, for staff and /metrics."""
        rows = cls.select(cls.kind, cls.state, fn.COUNT(cls.id).alias("n")).group_by(cls.kind, cls.state)
        return {(row.kind, row.state): row.n for row in rows}


def _plain_sql(mark: str) -> str:
    table, columns = Outbox._meta.table_name, ", ".join(f'"{name}"' for name in ROW_COLUMNS)
    marks = ", ".join([mark] * len(ROW_COLUMNS))
    if is_postgres():
        return f'INSERT INTO "{table}" ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING'  # noqa: S608 - model metadata
    return f'INSERT OR IGNORE INTO "{table}" ({columns}) VALUES ({marks})'  # noqa: S608 - model metadata


def seal(payload: dict) -> dict:
    """The payload with its phone number, if any, encrypted."""
    if not payload.get("phone"):
        return payload
    sealed = {k: v for k, v in payload.items() if k != "phone"}
    sealed[SEALED_PHONE] = encrypt(str(payload["phone"]), PHONE_CONTEXT)
    return sealed
