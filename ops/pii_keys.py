"""Key rotation for the encrypted personal data, and rehashing under a new lookup key.

Rotation: put the new key first in `pii.keys` (keep the old ones listed),
restart, run `rotate`: every value not under the current key is decrypted
and encrypted again, in batches, each row only if it did not change since it
was read (a concurrent write is newer and already under the current key).
Running it again changes nothing. `status` shows how many values each key
still holds; a key holding none may be dropped from the list.

A new lookup key changes every hash at once, so lookups by phone miss rows not
yet rehashed: switch the key while the processes are stopped (or accept that
replies arriving meanwhile are answered late), then run `rehash`.
"""

import json
from collections import Counter

from core.crypto import key_id
from core.crypto import keyring
from core.crypto import phone_hash
from models import MODELS
from models import Outbox
from models import db
from models.outbox import PHONE_CONTEXT
from models.outbox import SEALED_PHONE
from models.pii import encrypted_fields
from models.pii import lookup_pairs
from models.sms import SmsInbox
from sms.inbox import dedupe_key

from .retention import PURGED_PREFIX

BATCH = 500
NOT_ENCRYPTED = "(not encrypted)"


def _raw(field):
    # CAST keeps peewee from decrypting (reading) or encrypting (comparing) the stored text.
    return field.cast("TEXT")


def _encrypted_tables():
    for model in MODELS:
        fields = encrypted_fields(model)
        if fields:
            yield model, fields


def _scan(model, columns, batch: int):
    """Batches of row tuples (id, *columns), in id order."""
    last = 0
    while True:
        rows = list(model.select(model.id, *columns).where(model.id > last).order_by(model.id).limit(batch).tuples())
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _outbox_tokens(batch: int):
    last = 0
    while True:
        rows = list(Outbox.with_phone().where(Outbox.id > last).order_by(Outbox.id).limit(batch))
        if not rows:
            return
        yield [(row, json.loads(row.payload)) for row in rows]
        last = rows[-1].id


def status() -> dict[str, Counter]:
    """{"table.column": Counter(key id: values)}: which keys the stored values need."""
    counts: dict[str, Counter] = {}
    for model, fields in _encrypted_tables():
        for field in fields:
            counts[field.context] = Counter()
        for rows in _scan(model, [_raw(f) for f in fields], 2000):
            for row in rows:
                for field, raw in zip(fields, row[1:], strict=True):
                    if raw is not None:
                        counts[field.context][key_id(raw) or NOT_ENCRYPTED] += 1
    counts[PHONE_CONTEXT] = Counter()
    for rows in _outbox_tokens(2000):
        for _, data in rows:
            if data.get(SEALED_PHONE):
                counts[PHONE_CONTEXT][key_id(data[SEALED_PHONE]) or NOT_ENCRYPTED] += 1
    return counts


def rotate(batch: int = BATCH) -> dict[str, int]:
    """Re-encrypt every value under the current key; returns the count per column."""
    ring = keyring()
    done: Counter = Counter()
    for model, fields in _encrypted_tables():
        for rows in _scan(model, [_raw(f) for f in fields], batch):
            with db.atomic():
                for row in rows:
                    for field, raw in zip(fields, row[1:], strict=True):
                        if raw is None or key_id(raw) == ring.current:
                            continue
                        clear = ring.decrypt(raw, field.context)
                        done[field.context] += (
                            model.update({field: clear}).where((model.id == row[0]) & (_raw(field) == raw)).execute()
                        )
    for rows in _outbox_tokens(batch):
        with db.atomic():
            for row, data in rows:
                token = data.get(SEALED_PHONE)
                if not token or key_id(token) == ring.current:
                    continue
                data[SEALED_PHONE] = ring.encrypt(ring.decrypt(token, PHONE_CONTEXT), PHONE_CONTEXT)
                done[PHONE_CONTEXT] += (
                    Outbox.update(payload=json.dumps(data, ensure_ascii=False))
                    .where((Outbox.id == row.id) & (Outbox.payload == row.payload))
                    .execute()
                )
    return dict(done)


def rehash(batch: int = BATCH) -> dict[str, int]:
    """Recompute every lookup hash (and callback dedupe key) under the current lookup key."""
    done: Counter = Counter()
    for model in MODELS:
        pairs = lookup_pairs(model)
        if not pairs:
            continue
        columns = [c for field, companion, _ in pairs for c in (field, companion)]
        for rows in _scan(model, columns, batch):
            with db.atomic():
                for row in rows:
                    for index, (_field, companion, hasher) in enumerate(pairs):
                        value, stored = row[1 + 2 * index], row[2 + 2 * index]
                        digest = hasher(value)
                        if digest == stored:
                            continue
                        done[f"{model._meta.table_name}.{companion.column_name}"] += (
                            model.update({companion: digest})
                            .where((model.id == row[0]) & (companion == stored))
                            .execute()
                        )
    last = 0
    while True:
        rows = list(SmsInbox.select().where(SmsInbox.id > last).order_by(SmsInbox.id).limit(batch))
        if not rows:
            return dict(done)
        last = rows[-1].id
        with db.atomic():
            for row in rows:
                if row.dedupe_key.startswith(PURGED_PREFIX):
                    continue
                lookup_hash = phone_hash(row.data["phone_number"])
                key = dedupe_key(row.kind, row.data, lookup_hash)
                if key != row.dedupe_key:
                    # The drain lane follows the new hash too (one phone, one lane).
                    done["sms_inbox.dedupe_key"] += (
                        SmsInbox.update(dedupe_key=key, phone_bucket=SmsInbox.bucket_of(lookup_hash))
                        .where((SmsInbox.id == row.id) & (SmsInbox.dedupe_key == row.dedupe_key))
                        .execute()
                    )
