"""Printable posters kept once drawn (`poster_cache`), by a digest of what they show:
the hall PDF costs seconds of CPU and megabytes; it is drawn once per change.

Frozen models, deliberately independent of `models/`.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class PosterCache(Model):
        key = CharField(max_length=64, unique=True)
        fingerprint = CharField(max_length=64)
        content_type = CharField(max_length=32)
        data = BlobField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'poster_cache'

    db.create_tables([PosterCache])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('poster_cache'))
