"""`sms_inbox.phone_bucket`: which drain lane takes a callback (sms/lanes.py). On
PostgreSQL the inbox is drained by several processes side by side, each taking the
callbacks of its own phones; one phone's callbacks stay in one lane, in arrival order.
Rows stored before it are in bucket 0 (lane 0). A phone with a callback pending from
before and a new one in another lane may have both handled at once, in this moment
only: the one-rating rule holds all the same (a case's rating is unique)."""

from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("sms_inbox", "phone_bucket", IntegerField(default=0)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("sms_inbox", "phone_bucket"))
