"""The case rollup (figures/case_rollup.py): completed and rated cases per department
and day for 未评率, its triggers and its backfill. Frozen model."""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    from figures import case_rollup
    from figures import triggers

    class CaseRollup(Model):
        department_id = IntegerField()
        day = DateField()
        completed = IntegerField(default=0)
        rated = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'case_rollup'
            indexes = ((('department_id', 'day'), True),)
    db.create_tables([CaseRollup])
    with db.atomic():
        # Since 0038/0039 the triggers append to a delta table, created where they are installed.
        triggers.install(case_rollup)
        triggers.rebuild(case_rollup)


def down(migrator, db):
    from figures import case_rollup
    from models.db import is_postgres

    for sql in case_rollup.drop_trigger_sql(is_postgres()):
        db.execute_sql(sql)
    migrator.migrate(migrator.drop_table('case_rollup'))
