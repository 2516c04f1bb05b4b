"""Personal data at rest (PIPL): applicant names, phone and ID numbers, and
every stored phone number, encrypted; lookup-hash columns for the phones.

Existing rows (a database that ran an earlier version) are encrypted here with
the keys the running process has (`core.crypto.keyring()`, the same resolution
as the app: `[pii]` / HCP_PII_KEYS, else the instance folder's local key).
The ciphertext format and the hash are those of models/pii.py; the tables
are frozen here.
"""

import json

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them

BATCH = 500

# (table, column, nullable): the columns that now hold ciphertext.
ENCRYPTED = (
    ('case', 'applicant_name', True),
    ('case', 'applicant_phone', True),
    ('case', 'applicant_id_number', True),
    ('opt_out', 'phone', False),
    ('sms_message', 'phone', True),
    ('rater_contact', 'phone', False),
)
# (table, phone column, hash column, unique)
HASHED = (
    ('case', 'applicant_phone', 'applicant_phone_hash', False),
    ('opt_out', 'phone', 'phone_hash', True),
    ('sms_message', 'phone', 'phone_hash', False),
)


def _frozen(db, table, columns):
    attrs = {name: TextField(null=True) for name in columns}
    attrs['Meta'] = type('Meta', (), {'database': db, 'table_name': table})
    return type('Frozen_' + table, (Model,), attrs)


def _batches(model):
    last = 0
    while True:
        rows = list(model.select().where(model.id > last).order_by(model.id).limit(BATCH))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _index_on(db, table, column):
    for index in db.get_indexes(table):
        if list(index.columns) == [column]:
            return index.name
    return None


def up(migrator, db):
    from core import crypto as pii

    operations = []
    for table, column, _, _ in HASHED:
        name = _index_on(db, table, column)
        if name:
            operations.append(migrator.drop_index(table, name))
    for table, column, nullable in ENCRYPTED:
        operations.append(migrator.alter_column_type(table, column, TextField(null=nullable)))
    for table, _, hash_column, _ in HASHED:
        operations.append(migrator.add_column(table, hash_column, CharField(max_length=64, null=True)))
    operations.append(migrator.drop_not_null('sms_message', 'phone'))
    migrator.migrate(*operations)

    def seal(value, context):
        return None if value is None else pii.keyring().encrypt(value, context)

    for table in ('case', 'opt_out', 'sms_message', 'rater_contact'):
        columns = [column for t, column, _ in ENCRYPTED if t == table]
        hashed = {column: hash_column for t, column, hash_column, _ in HASHED if t == table}
        model = _frozen(db, table, columns + list(hashed.values()))
        seen = set()
        for rows in _batches(model):
            for row in rows:
                changes = {}
                for column in columns:
                    value = getattr(row, column)
                    changes[column] = seal(value, f'{table}.{column}')
                    if column in hashed:
                        changes[hashed[column]] = pii.phone_hash(value)
                digest = changes.get('phone_hash')
                if table == 'opt_out' and digest in seen:
                    # The same number stored in two spellings: one opt-out is enough.
                    model.delete().where(model.id == row.id).execute()
                    continue
                seen.add(digest)
                model.update(changes).where(model.id == row.id).execute()

    # The stored Aliyun callbacks: the whole item encrypted, the dedupe key hashed.
    inbox = _frozen(db, 'sms_inbox', ['kind', 'payload', 'dedupe_key'])
    for rows in _batches(inbox):
        for row in rows:
            data = json.loads(row.payload)
            digest = pii.phone_hash(data.get('phone_number'))
            if row.kind == 'up':
                key = f"up:{digest}:{data.get('sequence_id')}"
            else:
                key = f"report:{data.get('biz_id')}:{digest}"
            inbox.update(payload=seal(row.payload, 'sms_inbox.payload'), dedupe_key=key).where(
                inbox.id == row.id
            ).execute()

    # Queued and sent messages carrying a phone number (sms.message).
    outbox = _frozen(db, 'outbox', ['payload'])
    for rows in _batches(outbox):
        for row in rows:
            data = json.loads(row.payload) if row.payload and '"phone"' in row.payload else None
            if not isinstance(data, dict) or not data.get('phone'):
                continue
            data['phone_enc'] = seal(str(data.pop('phone')), 'outbox.payload.phone')
            outbox.update(payload=json.dumps(data, ensure_ascii=False)).where(outbox.id == row.id).execute()

    operations = [migrator.add_not_null('opt_out', 'phone_hash')]
    for table, _, hash_column, unique in HASHED:
        operations.append(migrator.add_index(table, (hash_column,), unique))
    migrator.migrate(*operations)


def down(migrator, db):
    from core import crypto as pii

    def open_(value, context):
        return None if value is None else pii.keyring().decrypt(value, context)

    for table in ('case', 'opt_out', 'sms_message', 'rater_contact'):
        columns = [column for t, column, _ in ENCRYPTED if t == table]
        model = _frozen(db, table, columns)
        for rows in _batches(model):
            for row in rows:
                changes = {column: open_(getattr(row, column), f'{table}.{column}') for column in columns}
                if table == 'sms_message' and changes['phone'] is None:
                    changes['phone'] = ''  # cleared by the retention purge
                model.update(changes).where(model.id == row.id).execute()
    inbox = _frozen(db, 'sms_inbox', ['kind', 'payload', 'dedupe_key'])
    for rows in _batches(inbox):
        for row in rows:
            payload = open_(row.payload, 'sms_inbox.payload')
            data = json.loads(payload)
            if row.kind == 'up':
                key = f"up:{data.get('phone_number')}:{data.get('sequence_id')}"
            else:
                key = f"report:{data.get('biz_id')}:{data.get('phone_number')}"
            if row.dedupe_key.startswith('purged:'):
                key = row.dedupe_key
            inbox.update(payload=payload, dedupe_key=key).where(inbox.id == row.id).execute()
    outbox = _frozen(db, 'outbox', ['payload'])
    for rows in _batches(outbox):
        for row in rows:
            if not row.payload or '"phone_enc"' not in row.payload:
                continue
            data = json.loads(row.payload)
            data['phone'] = open_(data.pop('phone_enc'), 'outbox.payload.phone')
            outbox.update(payload=json.dumps(data, ensure_ascii=False)).where(outbox.id == row.id).execute()

    operations = []
    for table, _, hash_column, _ in HASHED:
        name = _index_on(db, table, hash_column)
        if name:
            operations.append(migrator.drop_index(table, name))
        operations.append(migrator.drop_column(table, hash_column))
    operations.append(migrator.add_not_null('sms_message', 'phone'))
    for table, column, nullable in ENCRYPTED:
        size = {'applicant_name': 100, 'applicant_id_number': 32}.get(column, 20)
        operations.append(migrator.alter_column_type(table, column, CharField(max_length=size, null=nullable)))
    operations.append(migrator.add_index('case', ('applicant_phone',), False))
    operations.append(migrator.add_index('opt_out', ('phone',), True))
    operations.append(migrator.add_index('sms_message', ('phone',), False))
    migrator.migrate(*operations)
