"""Abuse and fraud: the staff-identity registry and the fraud flags of ratings.

Frozen models, deliberately independent of `models/`.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class Staff(Model):
        class Meta:
            database = db
            table_name = 'staff'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Rating(Model):
        class Meta:
            database = db
            table_name = 'rating'

    class StaffIdentity(Model):
        staff = ForeignKeyField(Staff, on_delete='CASCADE')
        kind = CharField(max_length=16)
        value = CharField(max_length=128)
        shown = CharField(max_length=64)
        note = CharField(max_length=100, default='')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'staff_identity'
            indexes = ((('kind', 'value'), True),)

    class RatingFlag(Model):
        rating = ForeignKeyField(Rating, unique=True, on_delete='CASCADE')
        rules = CharField(max_length=100)
        reason = TextField()
        review_state = CharField(index=True, max_length=16, default='pending')
        created_at = DateTimeField()
        reviewed_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        reviewed_at = DateTimeField(null=True)
        review_note = TextField(null=True)
        class Meta:
            database = db
            table_name = 'rating_flag'

    db.create_tables([StaffIdentity, RatingFlag])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('rating_flag'))
    migrator.migrate(migrator.drop_table('staff_identity'))
