"""Bureau API keys: `create-api-key --bureau`. A bureau key may post the
channels a department must not key in for itself (`paper`, `phone`) and rate
any department's cases and windows; every other key is a department's."""

from peewee import BooleanField


def up(migrator, db):
    migrator.migrate(migrator.add_column('api_key', 'bureau', BooleanField(default=False)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('api_key', 'bureau'))
