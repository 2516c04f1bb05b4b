# ruff: noqa: S608 - every statement here is built from constants and NEW/OLD row names
"""The case rollup: completed cases per department and day, and how many have a first rating.

未评率 (the share of completed cases nobody rated) counts cases completed in the
period and, of those, the ones with a first rating (whenever it came). Counting
them live reads every case of the period and probes `rating` once per case —
linear in the cases of the period (a month of a large district: hundreds of
thousands). `case_rollup` keeps, per (department, Beijing day of completion),

    completed = cases with status 'completed' completed that day
    rated     = those of them with a first rating (sequence 1, excluded or not)

exact under every change, by triggers in both dialects that append each change to
`case_rollup_delta` (± completed, ± rated of a department and day), folded into
`case_rollup` by `fold()` (the `figures.rollup` job) and read with it by `counts()`, as
the rating rollup's deltas are (figures/rollup.py: concurrent batches of one department
no longer queue on its day's row until each commits):

- a case inserted, updated (status, completion time, department) or deleted moves
  its count, and its `rated` share as it stands (EXISTS over the (case, sequence) index);
  on PostgreSQL the cases of one INSERT statement are added together (a statement
  trigger over its transition table: a batch of 1000 appends a few rows, not 1000);
- a first rating inserted, deleted, or moved to another case or sequence moves
  `rated` of its case's day, when the case counts.

The triggers fire per statement row, immediately: a case and its rating written in one
transaction must be counted in the order they were written, or the rating would be
counted twice.

Filters the rollup does not cover (hall, window, staff, item) read the live query.
"""

import datetime as dt
from contextlib import contextmanager

from peewee import fn

from models import CaseRollup
from models import CaseRollupDelta
from models import db
from models.db import is_postgres

from . import deltas

# (PostgreSQL) How an INSERT of ratings reaches `rated`: 'row' (unset: the default) by the row
# trigger, one delta row per rating; 'statement' by the statement trigger over the INSERT's
# transition table, one delta row per (department, day) of the set (`per_statement`).
MODE_SETTING = "hcp.rating_inserts"
DELTA = CaseRollupDelta  # what the triggers append to; created with them (figures.triggers.install)

TRIGGERS = ("case_rollup_case_ai", "case_rollup_case_au", "case_rollup_case_ad")
TRIGGERS += ("case_rollup_rating_ai", "case_rollup_rating_au", "case_rollup_rating_ad")


def _day(row: str, postgres: bool) -> str:
    return f"{row}.completed_at::date" if postgres else f"date({row}.completed_at)"


def _counted(row: str) -> str:
    return f"{row}.status = 'completed' AND {row}.completed_at IS NOT NULL"


def _rated(row: str) -> str:
    return f"(CASE WHEN EXISTS (SELECT 1 FROM rating WHERE case_id = {row}.id AND sequence = 1) THEN 1 ELSE 0 END)"


_APPEND = "INSERT INTO case_rollup_delta (department_id, day, completed, rated) "


def _add_case(row: str, postgres: bool, guard: str = "1 = 1") -> str:
    # INSERT … SELECT … WHERE: it carries the guard (SQLite's triggers have no IF).
    return _APPEND + f"SELECT {row}.department_id, {_day(row, postgres)}, 1, {_rated(row)} WHERE {guard}"


def _remove_case(row: str, postgres: bool, guard: str = "1 = 1") -> str:
    return _APPEND + f"SELECT {row}.department_id, {_day(row, postgres)}, -1, -{_rated(row)} WHERE {guard}"


def _move_rated(row: str, sign: str, postgres: bool, guard: str = "1 = 1") -> str:
    """± one rated case on the day of the rating's case, when that case counts."""
    return (
        _APPEND + f"SELECT c.department_id, {_day('c', postgres)}, 0, {sign}1 "
        f'FROM "case" c WHERE c.id = {row}.case_id AND {_counted("c")} AND {guard}'
    )


_CASE_CHANGED = ("status", "completed_at", "department_id")
_RATING_CHANGED = ("case_id", "sequence")


def trigger_sql(postgres: bool) -> list[str]:
    first_new = "NEW.case_id IS NOT NULL AND NEW.sequence = 1"
    first_old = "OLD.case_id IS NOT NULL AND OLD.sequence = 1"
    if postgres:
        case_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _CASE_CHANGED)
        rating_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _RATING_CHANGED)
        return [
            "CREATE OR REPLACE FUNCTION case_rollup_case() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
            f"  IF TG_OP = 'UPDATE' AND NOT ({case_changed}) THEN RETURN NULL; END IF;\n"
            f"  IF TG_OP IN ('UPDATE', 'DELETE') AND {_counted('OLD')} THEN {_remove_case('OLD', True)}; END IF;\n"
            f"  IF TG_OP IN ('INSERT', 'UPDATE') AND {_counted('NEW')} THEN {_add_case('NEW', True)}; END IF;\n"
            "  RETURN NULL;\nEND $$",
            "CREATE OR REPLACE FUNCTION case_rollup_rating() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
            f"  IF TG_OP = 'UPDATE' AND NOT ({rating_changed}) THEN RETURN NULL; END IF;\n"
            f"  IF TG_OP IN ('UPDATE', 'DELETE') AND {first_old} THEN {_move_rated('OLD', '-', True)}; END IF;\n"
            f"  IF TG_OP IN ('INSERT', 'UPDATE') AND {first_new} THEN {_move_rated('NEW', '+', True)}; END IF;\n"
            "  RETURN NULL;\nEND $$",
            # A batch inserts up to 1000 cases of a few departments and days in one statement:
            # one delta row per (department, day) from the statement's rows, not one per case.
            "CREATE OR REPLACE FUNCTION case_rollup_cases_inserted() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  {_APPEND}"
            f"SELECT n.department_id, {_day('n', True)}, COUNT(*), SUM({_rated('n')}) FROM inserted n "
            f"WHERE {_counted('n')} GROUP BY n.department_id, {_day('n', True)};\n"
            "  RETURN NULL;\nEND $$",
            'CREATE TRIGGER case_rollup_case_ins AFTER INSERT ON "case" REFERENCING NEW TABLE AS inserted '
            "FOR EACH STATEMENT EXECUTE FUNCTION case_rollup_cases_inserted()",
            'CREATE TRIGGER case_rollup_case_trg AFTER UPDATE OR DELETE ON "case" '
            "FOR EACH ROW EXECUTE FUNCTION case_rollup_case()",
            # Most ratings have no case or are 追评: the WHEN keeps the function call off their insert.
            # A set of ratings inserted in 'statement' mode (per_statement below) is counted
            # by the statement trigger below instead, one delta row per (department, day).
            f"CREATE TRIGGER case_rollup_rating_ins AFTER INSERT ON rating FOR EACH ROW WHEN ({first_new} "
            f"AND current_setting('{MODE_SETTING}', true) IS DISTINCT FROM 'statement') "
            "EXECUTE FUNCTION case_rollup_rating()",
            "CREATE OR REPLACE FUNCTION case_rollup_ratings_inserted() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF current_setting('{MODE_SETTING}', true) = 'statement' THEN\n"
            f"    {_APPEND}"
            f"SELECT c.department_id, {_day('c', True)}, 0, COUNT(*) FROM inserted r "
            f'JOIN "case" c ON c.id = r.case_id WHERE r.sequence = 1 AND {_counted("c")} GROUP BY 1, 2;\n'
            "  END IF;\n"
            "  RETURN NULL;\nEND $$",
            "CREATE TRIGGER case_rollup_ratings_ins AFTER INSERT ON rating REFERENCING NEW TABLE AS inserted "
            "FOR EACH STATEMENT EXECUTE FUNCTION case_rollup_ratings_inserted()",
            "CREATE TRIGGER case_rollup_rating_trg AFTER UPDATE OR DELETE ON rating "
            "FOR EACH ROW EXECUTE FUNCTION case_rollup_rating()",
        ]
    case_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _CASE_CHANGED)
    rating_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _RATING_CHANGED)
    # An UPDATE trigger's two statements each carry their own guard in the WHERE.
    return [
        f'CREATE TRIGGER case_rollup_case_ai AFTER INSERT ON "case" WHEN {_counted("NEW")} '
        f"BEGIN {_add_case('NEW', False)}; END",
        f'CREATE TRIGGER case_rollup_case_ad AFTER DELETE ON "case" WHEN {_counted("OLD")} '
        f"BEGIN {_remove_case('OLD', False)}; END",
        f'CREATE TRIGGER case_rollup_case_au AFTER UPDATE ON "case" WHEN {case_changed} BEGIN '
        f"{_remove_case('OLD', False, _counted('OLD'))}; "
        f"{_add_case('NEW', False, _counted('NEW'))}; END",
        f"CREATE TRIGGER case_rollup_rating_ai AFTER INSERT ON rating WHEN {first_new} "
        f"BEGIN {_move_rated('NEW', '+', False)}; END",
        f"CREATE TRIGGER case_rollup_rating_ad AFTER DELETE ON rating WHEN {first_old} "
        f"BEGIN {_move_rated('OLD', '-', False)}; END",
        f"CREATE TRIGGER case_rollup_rating_au AFTER UPDATE ON rating WHEN {rating_changed} BEGIN "
        f"{_move_rated('OLD', '-', False, first_old)}; "
        f"{_move_rated('NEW', '+', False, first_new)}; END",
    ]


@contextmanager
def per_statement():
    """Rating INSERTs inside (in the caller's transaction) reach `rated` once per statement
    rather than one delta row per rating (PostgreSQL; SQLite's row triggers are cheap): for the
    SMS inbox's sets. The mode is set back only after a success: after an error the caller's
    transaction is rolled back."""
    if not is_postgres():
        yield
        return
    db.execute_sql(f"SET LOCAL {MODE_SETTING} = 'statement'")
    yield
    db.execute_sql(f"SET LOCAL {MODE_SETTING} = 'row'")


def drop_trigger_sql(postgres: bool) -> list[str]:
    if postgres:
        return [
            'DROP TRIGGER IF EXISTS case_rollup_case_ins ON "case"',
            'DROP TRIGGER IF EXISTS case_rollup_case_trg ON "case"',
            "DROP FUNCTION IF EXISTS case_rollup_cases_inserted()",
            "DROP TRIGGER IF EXISTS case_rollup_rating_ins ON rating",
            "DROP TRIGGER IF EXISTS case_rollup_ratings_ins ON rating",
            "DROP FUNCTION IF EXISTS case_rollup_ratings_inserted()",
            "DROP TRIGGER IF EXISTS case_rollup_rating_trg ON rating",
            "DROP FUNCTION IF EXISTS case_rollup_case()",
            "DROP FUNCTION IF EXISTS case_rollup_rating()",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]


def rebuild_sql(postgres: bool) -> list[str]:
    """Recompute the whole rollup from `case` and `rating` (the migration's backfill, bulk loads:
    with `figures.triggers.rebuild`, which drops the deltas first)."""
    return [
        "DELETE FROM case_rollup",
        "INSERT INTO case_rollup (department_id, day, completed, rated) "
        f"SELECT c.department_id, {_day('c', postgres)}, COUNT(*), SUM({_rated('c')}) "
        f'FROM "case" c WHERE {_counted("c")} GROUP BY c.department_id, {_day("c", postgres)}',
    ]


def _fold_rows(postgres: bool) -> str:
    """INSERT … SELECT of the day rows that the delta rows of the CTE `moved` add up to."""
    return (
        "INSERT INTO case_rollup (department_id, day, completed, rated) "
        "SELECT department_id, day, SUM(completed), SUM(rated) FROM moved GROUP BY department_id, day "
        "HAVING SUM(completed) <> 0 OR SUM(rated) <> 0 "
        + ("ORDER BY department_id, day " if postgres else "")  # rows locked in the key's order
        + "ON CONFLICT (department_id, day) DO UPDATE SET completed = case_rollup.completed + excluded.completed, "
        "rated = case_rollup.rated + excluded.rated"
    )


def fold() -> int:
    """Move the deltas into the rollup (`figures.deltas.fold`); returns how many were moved."""
    return deltas.fold(DELTA._meta.table_name, _fold_rows)


def counts(start: dt.date, end: dt.date, department_id=None) -> dict[int, tuple[int, int]]:
    """{department_id: (completed, rated)} for cases completed in [start, end): the rollup
    plus the deltas not folded yet, in one statement."""
    parts = []
    for model in (CaseRollup, CaseRollupDelta):
        part = model.select(model.department_id, model.completed, model.rated).where(
            (model.day >= start) & (model.day < end)
        )
        if department_id is not None:
            part = part.where(model.department_id == department_id)
        parts.append(part)
    rows = (parts[0] + parts[1]).alias("rows")
    query = (
        CaseRollup.select(rows.c.department_id, fn.SUM(rows.c.completed), fn.SUM(rows.c.rated))
        .from_(rows)
        .group_by(rows.c.department_id)
    )
    out = {dept: (int(c or 0), int(r or 0)) for dept, c, r in query.tuples()}
    return {dept: pair for dept, pair in out.items() if pair != (0, 0)}
