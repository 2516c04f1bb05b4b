"""The case rollup's triggers append deltas instead of updating its rows (figures/case_rollup.py),
as the rating rollup's do since 0038: concurrent batches of one department queued on the
row of their cases' day from their INSERT until their COMMIT. The `figures.rollup` job
folds them in; the figures read both. Nothing to backfill."""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    from figures import case_rollup
    from figures import triggers

    class CaseRollupDelta(Model):
        department_id = IntegerField()
        day = DateField()
        completed = IntegerField()
        rated = IntegerField()

        class Meta:
            database = db
            table_name = "case_rollup_delta"
            primary_key = False

    with db.atomic():
        db.create_tables([CaseRollupDelta], safe=True)
        triggers.install(case_rollup)


def down(migrator, db):
    return None  # the rollup stays exact under the new triggers; nothing to undo but the table
