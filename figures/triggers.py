"""Install, drop and rebuild the trigger-kept rollups.

Each rollup module (`figures.rollup`, `figures.case_rollup`, `figures.ticket_rollup`)
says what its triggers and its rebuild are, as SQL for either dialect:
`trigger_sql(postgres)`, `drop_trigger_sql(postgres)`, `rebuild_sql(postgres)`. This
module runs them: the migrations install them once; bulk loads (`bench.generate`)
drop them, load, rebuild in set statements and put them back. A rollup kept by appends
(`DELTA`, its delta table's model; None for one whose triggers update its rows) gets that
table where its triggers are installed, and loses its deltas where it is rebuilt.
"""

from models import db
from models.db import is_postgres

from . import case_rollup
from . import rollup
from . import ticket_rollup

ROLLUPS = (rollup, case_rollup, ticket_rollup)


def install(kept) -> None:
    if kept.DELTA is not None:
        db.create_tables([kept.DELTA], safe=True)
    postgres = is_postgres()
    for sql in kept.drop_trigger_sql(postgres) + kept.trigger_sql(postgres):
        db.execute_sql(sql)


def uninstall(kept) -> None:
    for sql in kept.drop_trigger_sql(is_postgres()):
        db.execute_sql(sql)


def fold_job() -> dict:
    """The scheduler job: the rating and case rollups' deltas folded in, so that the figures
    read few of them (they are exact either way)."""
    with db.connection_context():
        return {"ratings": rollup.fold(), "cases": case_rollup.fold()}


def rebuild(kept) -> None:
    with db.atomic():
        if kept.DELTA is not None:
            kept.DELTA.delete().execute()  # the recount includes what they were to add
        for sql in kept.rebuild_sql(is_postgres()):
            db.execute_sql(sql)
