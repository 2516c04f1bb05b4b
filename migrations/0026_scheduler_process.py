"""The scheduler processes' heartbeats (`scheduler_process`): whether one holds the
lock and runs the jobs, for /healthz and the admin's job page.

Frozen models, deliberately independent of `models/`.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class SchedulerProcess(Model):
        host = CharField(max_length=100)
        pid = IntegerField()
        state = CharField(max_length=16)
        since = DateTimeField()
        beat_at = DateTimeField(index=True)
        message = TextField(default='')
        class Meta:
            database = db
            table_name = 'scheduler_process'
            indexes = ((('host', 'pid'), True),)

    db.create_tables([SchedulerProcess])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('scheduler_process'))
