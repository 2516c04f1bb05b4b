"""WeChat secrets at rest: the users' session_key and the shared access token are
encrypted with the personal-data keys (core/crypto.py), like phone numbers.

Existing values are encrypted here with the keys the running process has (as in
0008). Frozen models, deliberately independent of `models/`.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them

BATCH = 500
# (table, column, nullable)
ENCRYPTED = (('wx_user', 'session_key', False), ('wx_token', 'value', True))


def _frozen(db, table, column):
    attrs = {column: TextField(null=True), 'Meta': type('Meta', (), {'database': db, 'table_name': table})}
    return type('Frozen_' + table, (Model,), attrs)


def _rewrite(db, convert):
    for table, column, _ in ENCRYPTED:
        model = _frozen(db, table, column)
        last = 0
        while True:
            rows = list(model.select().where(model.id > last).order_by(model.id).limit(BATCH))
            if not rows:
                break
            for row in rows:
                value = getattr(row, column)
                if value is not None:
                    model.update({column: convert(value, f'{table}.{column}')}).where(model.id == row.id).execute()
            last = rows[-1].id


def up(migrator, db):
    from core import crypto

    migrator.migrate(migrator.alter_column_type('wx_user', 'session_key', TextField()))
    _rewrite(db, lambda value, context: crypto.keyring().encrypt(value, context))


def down(migrator, db):
    from core import crypto

    _rewrite(db, lambda value, context: crypto.keyring().decrypt(value, context))
    migrator.migrate(migrator.alter_column_type('wx_user', 'session_key', CharField(max_length=64)))
