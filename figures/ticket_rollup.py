# ruff: noqa: S608 - every statement here is built from constants and NEW/OLD row names
"""The ticket rollup: the rectification counts of the 差评 per department and day.

The rectification figures (figures/rectification.py) count, over the 差评 of a
period (`is_bad AND NOT excluded`, by the rating's time), how many were replied
to, followed up, found satisfying, resolved on time or late, solved on the spot,
put on the ledger, closed. Read live, that is every 差评 of the period joined to
its ticket. `ticket_rollup` keeps those counts per (rating's department, Beijing
day of the rating):

    bad                 counted 差评
    replied … closed    of them, whose ticket has that property now (see FLAGS)

exact under every change, by row triggers in both dialects: a 差评 inserted,
excluded, reinstated, moved (department, time) or deleted moves `bad` and its
ticket's flags; a ticket inserted, deleted or changed in a watched column moves
its flags on its rating's row. Like the case rollup's, the triggers are
immediate: a rating and its ticket written in one transaction count once.

"Overdue now" depends on the clock, not on a change, so it is not rolled up: it
is counted live over the open tickets, which are few.
"""

import datetime as dt

from peewee import fn

from models import TicketRollup

DELTA = None  # its triggers update the rollup's rows directly (figures.triggers)

# The ticket's properties counted, as SQL over a ticket row alias.
FLAGS = {
    "replied": "{t}.replied_at IS NOT NULL",
    "followed_up": "{t}.followup_result IN ('satisfied', 'basically_satisfied', 'unsatisfied')",
    "satisfied": "{t}.followup_result = 'satisfied'",
    "basically_satisfied": "{t}.followup_result = 'basically_satisfied'",
    "resolved": "{t}.resolved_at IS NOT NULL",
    "on_time": "{t}.resolved_at IS NOT NULL AND {t}.resolved_at <= {t}.due_at",
    "resolved_late": "{t}.resolved_at IS NOT NULL AND {t}.resolved_at > {t}.due_at",
    "on_the_spot": "{t}.on_the_spot",
    "on_ledger": "{t}.on_ledger",
    "closed": "{t}.state = 'closed'",
}
COLUMNS = ("bad", *FLAGS)
_RATING_WATCHED = ("is_bad", "excluded", "department_id", "created_at")
_TICKET_WATCHED = ("rating_id", "replied_at", "followup_result", "resolved_at", "due_at")
_TICKET_WATCHED += ("on_the_spot", "on_ledger", "state")


def _flag(name: str, t: str) -> str:
    return f"(CASE WHEN {FLAGS[name].format(t=t)} THEN 1 ELSE 0 END)"


def _day(expr: str, postgres: bool) -> str:
    return f"({expr})::date" if postgres else f"date({expr})"


def _counted(r: str) -> str:
    return f"{r}.is_bad AND NOT {r}.excluded"


def _upsert(select: str) -> str:
    sets = ", ".join(f"{c} = ticket_rollup.{c} + excluded.{c}" for c in COLUMNS)
    return (
        f"INSERT INTO ticket_rollup (department_id, day, {', '.join(COLUMNS)}) {select} "
        f"ON CONFLICT (department_id, day) DO UPDATE SET {sets}"
    )


def _add_rating(r: str, postgres: bool, guard: str) -> str:
    flags = ", ".join(f"COALESCE((SELECT {_flag(n, 't')} FROM ticket t WHERE t.rating_id = {r}.id), 0)" for n in FLAGS)
    return _upsert(f"SELECT {r}.department_id, {_day(f'{r}.created_at', postgres)}, 1, {flags} WHERE {guard}")


def _remove_rating(r: str, postgres: bool) -> str:
    flags = ", ".join(
        f"{n} = {n} - COALESCE((SELECT {_flag(n, 't')} FROM ticket t WHERE t.rating_id = {r}.id), 0)" for n in FLAGS
    )
    return (
        f"UPDATE ticket_rollup SET bad = bad - 1, {flags} "
        f"WHERE department_id = {r}.department_id AND day = {_day(f'{r}.created_at', postgres)}"
    )


def _add_ticket(t: str, postgres: bool) -> str:
    flags = ", ".join(_flag(n, t) for n in FLAGS)
    return _upsert(
        f"SELECT r.department_id, {_day('r.created_at', postgres)}, 0, {flags} "
        f"FROM rating r WHERE r.id = {t}.rating_id AND {_counted('r')}"
    )


def _remove_ticket(t: str, postgres: bool) -> str:
    rating = f"(SELECT {{}} FROM rating r WHERE r.id = {t}.rating_id AND {_counted('r')})"
    flags = ", ".join(f"{n} = {n} - {_flag(n, t)}" for n in FLAGS)
    return (
        f"UPDATE ticket_rollup SET {flags} WHERE department_id = {rating.format('r.department_id')} "
        f"AND day = {rating.format(_day('r.created_at', postgres))}"
    )


# A ticket's created_at is its rating's time (tickets open inside the rating's transaction) and
# follows a corrected rating time: the open-ticket index (migration 0014) is searched by it.
_SYNC = "UPDATE ticket SET created_at = NEW.created_at WHERE rating_id = NEW.id"


def overdue_sql(postgres: bool, open_states: tuple[str, ...]) -> str:
    """Open tickets past their deadline per department, among the 差评 of a period: read from the
    partial index of open tickets by time (few rows), never from the period's 差评. Params: start,
    end (exclusive), now. The states are constants inlined, so the partial index's WHERE matches."""
    states = ", ".join(f"'{state}'" for state in open_states)
    p = "%s" if postgres else "?"
    # SQLite's statistics cannot tell the open states are rare: CROSS JOIN fixes the order there.
    join = "JOIN" if postgres else "CROSS JOIN"
    return (
        f"SELECT r.department_id, COUNT(*) FROM ticket t {join} rating r ON r.id = t.rating_id "
        f"WHERE t.state IN ({states}) AND t.created_at >= {p} AND t.created_at < {p} AND t.due_at < {p} "
        f"AND {_counted('r')} GROUP BY r.department_id"
    )


def trigger_sql(postgres: bool) -> list[str]:
    if postgres:
        rating_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _RATING_WATCHED)
        ticket_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _TICKET_WATCHED)
        return [
            "CREATE OR REPLACE FUNCTION ticket_rollup_rating() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
            f"  IF TG_OP = 'UPDATE' AND NOT ({rating_changed}) THEN RETURN NULL; END IF;\n"
            f"  IF TG_OP IN ('UPDATE', 'DELETE') AND {_counted('OLD')} THEN {_remove_rating('OLD', True)}; END IF;\n"
            f"  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add_rating('NEW', True, _counted('NEW'))}; END IF;\n"
            f"  IF TG_OP = 'UPDATE' AND OLD.created_at IS DISTINCT FROM NEW.created_at THEN {_SYNC}; END IF;\n"
            "  RETURN NULL;\nEND $$",
            "CREATE OR REPLACE FUNCTION ticket_rollup_ticket() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
            f"  IF TG_OP = 'UPDATE' AND NOT ({ticket_changed}) THEN RETURN NULL; END IF;\n"
            f"  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_remove_ticket('OLD', True)}; END IF;\n"
            f"  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_add_ticket('NEW', True)}; END IF;\n"
            "  RETURN NULL;\nEND $$",
            # 95 % of ratings are no 差评: the WHEN keeps the function call off their insert.
            f"CREATE TRIGGER ticket_rollup_rating_ins AFTER INSERT ON rating FOR EACH ROW WHEN ({_counted('NEW')}) "
            "EXECUTE FUNCTION ticket_rollup_rating()",
            "CREATE TRIGGER ticket_rollup_rating_trg AFTER UPDATE OR DELETE ON rating "
            "FOR EACH ROW EXECUTE FUNCTION ticket_rollup_rating()",
            "CREATE TRIGGER ticket_rollup_ticket_trg AFTER INSERT OR UPDATE OR DELETE ON ticket "
            "FOR EACH ROW EXECUTE FUNCTION ticket_rollup_ticket()",
        ]
    rating_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _RATING_WATCHED)
    ticket_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _TICKET_WATCHED)
    return [
        f"CREATE TRIGGER ticket_rollup_rating_ai AFTER INSERT ON rating WHEN {_counted('NEW')} "
        f"BEGIN {_add_rating('NEW', False, '1 = 1')}; END",
        f"CREATE TRIGGER ticket_rollup_rating_ad AFTER DELETE ON rating WHEN {_counted('OLD')} "
        f"BEGIN {_remove_rating('OLD', False)}; END",
        f"CREATE TRIGGER ticket_rollup_rating_au AFTER UPDATE ON rating WHEN {rating_changed} BEGIN "
        f"{_remove_rating('OLD', False)} AND {_counted('OLD')}; {_add_rating('NEW', False, _counted('NEW'))}; "
        f"{_SYNC} AND OLD.created_at IS NOT NEW.created_at; END",
        f"CREATE TRIGGER ticket_rollup_ticket_ai AFTER INSERT ON ticket BEGIN {_add_ticket('NEW', False)}; END",
        f"CREATE TRIGGER ticket_rollup_ticket_ad AFTER DELETE ON ticket BEGIN {_remove_ticket('OLD', False)}; END",
        f"CREATE TRIGGER ticket_rollup_ticket_au AFTER UPDATE ON ticket WHEN {ticket_changed} BEGIN "
        f"{_remove_ticket('OLD', False)}; {_add_ticket('NEW', False)}; END",
    ]


TRIGGERS = ("ticket_rollup_rating_ai", "ticket_rollup_rating_ad", "ticket_rollup_rating_au")
TRIGGERS += ("ticket_rollup_ticket_ai", "ticket_rollup_ticket_ad", "ticket_rollup_ticket_au")


def drop_trigger_sql(postgres: bool) -> list[str]:
    if postgres:
        return [
            "DROP TRIGGER IF EXISTS ticket_rollup_rating_ins ON rating",
            "DROP TRIGGER IF EXISTS ticket_rollup_rating_trg ON rating",
            "DROP TRIGGER IF EXISTS ticket_rollup_ticket_trg ON ticket",
            "DROP FUNCTION IF EXISTS ticket_rollup_rating()",
            "DROP FUNCTION IF EXISTS ticket_rollup_ticket()",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]


def rebuild_sql(postgres: bool) -> list[str]:
    """Recompute the whole rollup from `rating` and `ticket` (the migration's backfill, bulk loads)."""
    day = _day("r.created_at", postgres)
    flags = ", ".join(f"SUM({_flag(n, 't')})" for n in FLAGS)
    return [
        "DELETE FROM ticket_rollup",
        f"INSERT INTO ticket_rollup (department_id, day, {', '.join(COLUMNS)}) "
        f"SELECT r.department_id, {day}, COUNT(*), {flags} FROM rating r "
        f"LEFT JOIN ticket t ON t.rating_id = r.id WHERE {_counted('r')} GROUP BY r.department_id, {day}",
    ]


def counts(start: dt.date, end: dt.date, department_id=None) -> dict[int, dict]:
    """{department_id: {column: n}} for the 差评 of [start, end] (Beijing dates, inclusive)."""
    sums = [fn.SUM(getattr(TicketRollup, c)).alias(c) for c in COLUMNS]
    query = (
        TicketRollup.select(TicketRollup.department_id, *sums)
        .where((TicketRollup.day >= start) & (TicketRollup.day <= end))
        .group_by(TicketRollup.department_id)
    )
    if department_id is not None:
        query = query.where(TicketRollup.department_id == department_id)
    return {row.pop("department_id"): {c: int(row[c] or 0) for c in COLUMNS} for row in query.dicts()}
