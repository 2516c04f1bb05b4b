"""`sms_inbox.phone_bucket`: which drain lane takes a callback (sms/lanes.py). On
PostgreSQL the inbox is drained by several processes side by side, each taking the
callbacks of its own phones; one phone's callbacks stay in one lane, in arrival order.
Rows stored before it are in bucket 0 (lane 0): the pending ones among them are taken
by that lane, as before, one phone at a time per chunk."""

from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("sms_inbox", "phone_bucket", IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("sms_inbox", "phone_bucket"))
