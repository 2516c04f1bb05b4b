"""Admin sessions kept on the server (`staff_session`): the cookie holds a random token
only; logout, a password change, a role change or a deactivation delete the rows.

Frozen models, deliberately independent of `models/`.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class StaffSession(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        token_hash = CharField(max_length=64, unique=True)
        created_at = DateTimeField()
        expires_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'staff_session'

    db.create_tables([StaffSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('staff_session'))
