"""The rating rollup (figures/rollup.py): its table, the triggers that keep it exact,
and its backfill from the ratings already stored.

Frozen model; the trigger and backfill SQL come from `figures.rollup`, the one place
that defines what the rollup counts.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    from figures import rollup
    from figures import triggers

    class RatingRollup(Model):
        grain = CharField(max_length=1)
        period = DateField()
        dim = CharField(max_length=12)
        unit_id = IntegerField(default=0)
        channel = CharField(max_length=16, default='')
        department_id = IntegerField()
        level = IntegerField()
        n = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'rating_rollup'
            indexes = (
                (('department_id', 'level', 'grain', 'period', 'dim', 'unit_id', 'channel'), True),
                (('dim', 'grain', 'period'), False),
            )
    db.create_tables([RatingRollup])
    with db.atomic():
        # Since 0038/0039 the triggers append to a delta table, created where they are installed.
        triggers.install(rollup)
        triggers.rebuild(rollup)


def down(migrator, db):
    from figures import rollup
    from models.db import is_postgres

    for sql in rollup.drop_trigger_sql(is_postgres()):
        db.execute_sql(sql)
    migrator.migrate(migrator.drop_table('rating_rollup'))
