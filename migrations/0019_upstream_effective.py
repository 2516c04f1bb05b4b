"""Appeals corrected at the city: each change of a rating's `effective` (an approved,
rejected or reversed appeal, a fraud review) is re-sent under the same evalId with a
change number (`upstream_push.changes` counts them, so the city keeps the latest), and
the nightly reconciliation counts the ratings whose `effective` the city holds otherwise."""

from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('upstream_push', 'changes', IntegerField(default=0)),
        migrator.add_column('upstream_reconciliation', 'effective_mismatch_count', IntegerField(default=0)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('upstream_reconciliation', 'effective_mismatch_count'),
        migrator.drop_column('upstream_push', 'changes'),
    )
