"""An index for the fraud screen's burst count: one rater's ratings of one level
in the last minutes. Without it the count read every rating the rater ever gave
at that window (a tablet's whole history), on every rating."""


def up(migrator, db):
    migrator.migrate(migrator.add_index('rating', ('rater_ref', 'level', 'created_at'), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('rating', 'rating_rater_ref_level_created_at'))
