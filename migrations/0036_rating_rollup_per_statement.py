"""The rating rollup's and the case rollup's PostgreSQL triggers (figures/rollup.py,
figures/case_rollup.py), reinstalled: a set of ratings inserted in one statement (the SMS
inbox's chunk, `figures.rollup.per_statement`) reaches them once per statement — one upsert
per rollup row with the statement's count — instead of a dozen upserts per rating at COMMIT
and an UPDATE of `rated` per rating; single ratings keep the row triggers, and the rating
rollup's upsert now takes its rows in the key's order (as the statement's does). SQLite: the
same triggers as before."""


def up(migrator, db):
    from figures import case_rollup
    from figures import rollup
    from figures import triggers

    with db.atomic():
        triggers.install(rollup)
        triggers.install(case_rollup)


def down(migrator, db):
    return None  # the triggers 0007 installed count the same; a re-run of `up` restores these
