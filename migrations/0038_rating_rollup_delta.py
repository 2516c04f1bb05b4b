"""The rating rollup's triggers append deltas instead of upserting the rollup's rows
(figures/rollup.py): every counted rating of a department and level wrote the same dozen
rows, so concurrent ratings queued on their row locks until each COMMIT was on disk, and
each update left a dead row version behind. Now each rating appends one row to
`rating_rollup_delta`; the `figures.rollup` job folds them into `rating_rollup`, and the
figures read both. The rollup itself is unchanged (and exact): nothing to backfill."""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    from figures import rollup
    from figures import triggers

    class RatingRollupDelta(Model):
        day = DateField()
        department_id = IntegerField()
        hall_id = IntegerField(null=True)
        window_id = IntegerField(null=True)
        staff_id = IntegerField(null=True)
        item_id = IntegerField(null=True)
        channel = CharField(max_length=16)
        level = IntegerField()
        n = IntegerField()

        class Meta:
            database = db
            table_name = "rating_rollup_delta"
            primary_key = False

    with db.atomic():
        db.create_tables([RatingRollupDelta], safe=True)
        triggers.install(rollup)  # drops the upserting triggers (PostgreSQL: deferred) first


def down(migrator, db):
    return None  # the rollup stays exact under the new triggers; nothing to undo but the table
