"""Upstream push state, reconciliations with the city system, scheduler job runs."""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class Rating(Model):
        class Meta:
            database = db
            table_name = 'rating'

    class UpstreamPush(Model):
        rating = ForeignKeyField(Rating, unique=True, on_delete='CASCADE')
        eval_id = CharField(unique=True, max_length=64)
        state = CharField(index=True, max_length=16, default='pending')
        attempts = IntegerField(default=0)
        last_error = TextField(null=True)
        reject_reason = TextField(null=True)
        first_sent_at = DateTimeField(null=True)
        last_sent_at = DateTimeField(null=True)
        accepted_at = DateTimeField(null=True)
        rejected_at = DateTimeField(null=True)
        requeued = IntegerField(default=0)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'upstream_push'
    db.create_tables([UpstreamPush])

    class UpstreamReconciliation(Model):
        day = DateField(index=True)
        ran_at = DateTimeField(index=True)
        state = CharField(max_length=16)
        local_count = IntegerField(default=0)
        city_count = IntegerField(default=0)
        missing_count = IntegerField(default=0)
        unknown_count = IntegerField(default=0)
        error = TextField(null=True)
        class Meta:
            database = db
            table_name = 'upstream_reconciliation'
    db.create_tables([UpstreamReconciliation])

    class JobRun(Model):
        job_id = CharField(unique=True, max_length=64)
        pid = IntegerField(null=True)
        host = CharField(max_length=100, default='')
        last_started_at = DateTimeField(null=True)
        last_finished_at = DateTimeField(null=True)
        last_ok = BooleanField(default=True)
        last_error = TextField(null=True)
        runs = IntegerField(default=0)
        failures = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'job_run'
    db.create_tables([JobRun])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('job_run'))
    migrator.migrate(migrator.drop_table('upstream_reconciliation'))
    migrator.migrate(migrator.drop_table('upstream_push'))
