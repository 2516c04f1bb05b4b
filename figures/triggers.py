"""Install, drop and rebuild the trigger-kept rollups.

Each rollup module (`figures.rollup`, `figures.case_rollup`, `figures.ticket_rollup`)
says what its triggers and its rebuild are, as SQL for either dialect:
`trigger_sql(postgres)`, `drop_trigger_sql(postgres)`, `rebuild_sql(postgres)`. This
module runs them: the migrations install them once; bulk loads (`bench.generate`)
drop them, load, rebuild in set statements and put them back.
"""

from models import db
from models.db import is_postgres

from . import case_rollup
from . import rollup
from . import ticket_rollup

ROLLUPS = (rollup, case_rollup, ticket_rollup)


def install(kept) -> None:
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
        for sql in kept.rebuild_sql(is_postgres()):
            db.execute_sql(sql)
