"""The rating rollup's triggers append deltas instead of upserting the rollup's rows
(figures/rollup.py): every counted rating of a department and level wrote the same dozen
rows, so concurrent ratings queued on their row locks until each COMMIT was on disk, and
each update left a dead row version behind. Now each rating appends one row to
`rating_rollup_delta` (created with the triggers, `figures.triggers.install`); the
`figures.rollup` job folds them into `rating_rollup`, and the figures read both. The rollup
itself is unchanged (and exact): nothing to backfill."""


def up(migrator, db):
    from figures import rollup
    from figures import triggers

    with db.atomic():
        triggers.install(rollup)  # drops the upserting triggers (PostgreSQL: deferred) first


def down(migrator, db):
    return None  # the rollup stays exact under the new triggers
