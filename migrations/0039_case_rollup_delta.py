"""The case rollup's triggers append deltas instead of updating its rows (figures/case_rollup.py),
as the rating rollup's do since 0038: concurrent batches of one department queued on the
row of their cases' day from their INSERT until their COMMIT. `case_rollup_delta` is created
with the triggers; the `figures.rollup` job folds it in; the figures read both. Nothing to
backfill."""


def up(migrator, db):
    from figures import case_rollup
    from figures import triggers

    with db.atomic():
        triggers.install(case_rollup)


def down(migrator, db):
    return None  # the rollup stays exact under the new triggers
