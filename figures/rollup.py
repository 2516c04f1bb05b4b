"""The rating rollup: counted first ratings per period, unit and level, kept by the database.

Design. The dashboard and the monthly report ask for level counts (hence 评价数,
好评率, 差评数) of counted first ratings (`NOT excluded AND sequence = 1`) grouped
by ONE kind of unit — department, hall, window, staff, item or channel — or by
month, within a date range, optionally within one department. So `rating_rollup`
holds, per rating, one row per dimension, at two grains:

    (grain 'd' | 'm', period: the day | the month's first day,
     dim, unit_id | channel, department_id, level) → n

A full-tuple rollup (day × department × hall × window × staff × item × channel ×
level) would answer any filter combination, but staff × item × channel × level
makes nearly every rating its own row: it would be as large as `rating`. Per
dimension, a month holds at most (units × 5) rows per dimension, so a 12-month
figure reads a few thousand rows whatever the number of ratings. A range is cut
into months: a month wholly inside it is read at grain 'm'; a partial month at
grain 'm' too when no rating of that month lies outside the range (one indexed
EXISTS on `rating.created_at` — "this month" up to now is the usual case),
otherwise at grain 'd' for its days. Queries the rollup does not cover (two unit
filters at once, a channel filter with a unit grouping) return None and the
caller runs the raw GROUP BY: same result, slower.

Exactness. Triggers on `rating` (both dialects, `trigger_sql()`, installed by
migration 0007) add 1 for a counted rating inserted, move the count when a
counted rating's level, time, units or channel change, and take it out when
`excluded` (or `sequence`) changes or the rating is deleted — whoever does it: the
rating core, an approved appeal, a fraud review, any `Rating.update(...)` or a
hand-written SQL fix. Decrements are UPDATEs (never create a row). On
PostgreSQL the trigger is a DEFERRABLE INITIALLY DEFERRED constraint trigger:
the upsert runs at COMMIT, so concurrent ratings of one department hold the hot
rollup rows only for the commit, not for the rest of their transaction. On
SQLite the whole database has one writer anyway.

Bulk loads (`bench.generate`) drop the triggers, load, then rebuild and
reinstall them (`figures/triggers.py`, for all three rollups).
"""

import datetime as dt
from contextlib import contextmanager

from peewee import fn

from models import Rating
from models import RatingRollup
from models import db
from models.db import is_postgres
from models.rollup import DIMS

_COLUMNS = "grain, period, dim, unit_id, channel, department_id, level, n"
_KEY = "department_id, level, grain, period, dim, unit_id, channel"
_WATCHED = ("excluded", "sequence", "level", "created_at", "department_id", "hall_id", "window_id", "staff_id")
_WATCHED += ("item_id", "channel")
TRIGGERS = ("rating_rollup_ai", "rating_rollup_au", "rating_rollup_ad", "rating_rollup_trg")


def _units(row: str) -> list[tuple[str, str, str]]:
    """(dim, unit_id expression, channel expression) of one rating row alias (NEW/OLD)."""
    units = [(dim, f"{row}.{dim}_id", "''") for dim in DIMS if dim != "channel"]
    return units + [("channel", "0", f"{row}.channel")]


def _periods(row: str, postgres: bool) -> list[tuple[str, str]]:
    if postgres:
        return [("d", f"{row}.created_at::date"), ("m", f"date_trunc('month', {row}.created_at)::date")]
    return [("d", f"date({row}.created_at)"), ("m", f"strftime('%Y-%m-01', {row}.created_at)")]


def _add(row: str, postgres: bool) -> str:
    periods = " UNION ALL ".join(f"SELECT '{g}' AS g, {p} AS p" for g, p in _periods(row, postgres))
    units = " UNION ALL ".join(f"SELECT '{d}' AS d, {u} AS u, {c} AS c" for d, u, c in _units(row))
    return (
        f"INSERT INTO rating_rollup ({_COLUMNS}) "  # noqa: S608 - constants only
        f"SELECT pp.g, pp.p, uu.d, uu.u, uu.c, {row}.department_id, {row}.level, 1 "
        f"FROM ({periods}) AS pp CROSS JOIN ({units}) AS uu WHERE uu.u IS NOT NULL "
        + ("ORDER BY pp.g, pp.p, uu.d, uu.u, uu.c " if postgres else "")  # rows locked in the key's order
        + f"ON CONFLICT ({_KEY}) DO UPDATE SET n = rating_rollup.n + 1"
    )


def _remove(row: str, postgres: bool) -> str:
    periods = " OR ".join(f"(grain = '{g}' AND period = {p})" for g, p in _periods(row, postgres))
    units = " OR ".join(f"(dim = '{d}' AND unit_id = {u} AND channel = {c})" for d, u, c in _units(row))
    return (
        f"UPDATE rating_rollup SET n = n - 1 WHERE department_id = {row}.department_id "  # noqa: S608
        f"AND level = {row}.level AND ({periods}) AND ({units})"
    )


def _add_inserted() -> str:
    """(PostgreSQL) the counted first ratings of one INSERT statement (its transition table
    `inserted`), one upsert per rollup row, in the key's order."""
    periods = " UNION ALL ".join(f"SELECT '{g}' AS g, {p} AS p" for g, p in _periods("r", True))
    units = " UNION ALL ".join(f"SELECT '{d}' AS d, {u} AS u, {c}::text AS c" for d, u, c in _units("r"))
    return (
        f"INSERT INTO rating_rollup ({_COLUMNS}) "  # noqa: S608 - constants only
        "SELECT pp.g, pp.p, uu.d, uu.u, uu.c, r.department_id, r.level, COUNT(*) "
        f"FROM inserted r CROSS JOIN LATERAL ({periods}) AS pp CROSS JOIN LATERAL ({units}) AS uu "
        "WHERE uu.u IS NOT NULL AND NOT r.excluded AND r.sequence = 1 "
        "GROUP BY r.department_id, r.level, pp.g, pp.p, uu.d, uu.u, uu.c "
        "ORDER BY r.department_id, r.level, pp.g, pp.p, uu.d, uu.u, uu.c "
        f"ON CONFLICT ({_KEY}) DO UPDATE SET n = rating_rollup.n + excluded.n"
    )


# (PostgreSQL) How an INSERT of ratings reaches the rollups (this one and the case rollup's
# `rated`): 'row' (unset: the default) by the row triggers — the rating rollup's deferred to
# COMMIT; 'statement' by statement triggers over the INSERT's transition table, once per INSERT.
MODE_SETTING = "hcp.rating_inserts"


def trigger_sql(postgres: bool) -> list[str]:
    """The statements that install the triggers (drop them first with `drop_trigger_sql`)."""
    if postgres:
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _WATCHED)
        function = (
            "CREATE OR REPLACE FUNCTION rating_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP = 'UPDATE' AND NOT ({changed}) THEN RETURN NULL; END IF;\n"
            "  IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.excluded AND OLD.sequence = 1 THEN\n"
            f"    {_remove('OLD', True)};\n"
            "  END IF;\n"
            "  IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.excluded AND NEW.sequence = 1 THEN\n"
            f"    {_add('NEW', True)};\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        # The WHEN of a deferred trigger is evaluated at the row's change, not at COMMIT: rows
        # inserted in 'statement' mode are never queued here.
        trigger = (
            "CREATE CONSTRAINT TRIGGER rating_rollup_trg AFTER INSERT OR UPDATE OR DELETE ON rating "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"WHEN (current_setting('{MODE_SETTING}', true) IS DISTINCT FROM 'statement') "
            "EXECUTE FUNCTION rating_rollup_apply()"
        )
        inserted = (
            "CREATE OR REPLACE FUNCTION rating_rollup_inserted() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF current_setting('{MODE_SETTING}', true) = 'statement' THEN\n"
            f"    {_add_inserted()};\n"
            "  END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        statement = (
            "CREATE TRIGGER rating_rollup_ins AFTER INSERT ON rating REFERENCING NEW TABLE AS inserted "
            "FOR EACH STATEMENT EXECUTE FUNCTION rating_rollup_inserted()"
        )
        return [function, trigger, inserted, statement]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
    counted_new = "NEW.excluded = 0 AND NEW.sequence = 1"
    counted_old = "OLD.excluded = 0 AND OLD.sequence = 1"
    return [
        f"CREATE TRIGGER rating_rollup_ai AFTER INSERT ON rating WHEN {counted_new} BEGIN {_add('NEW', False)}; END",
        f"CREATE TRIGGER rating_rollup_ad AFTER DELETE ON rating WHEN {counted_old} BEGIN {_remove('OLD', False)}; END",
        f"CREATE TRIGGER rating_rollup_au AFTER UPDATE ON rating WHEN {changed} BEGIN "
        f"{_remove('OLD', False)} AND {counted_old}; "
        f"{_add('NEW', False).replace('WHERE uu.u IS NOT NULL', f'WHERE uu.u IS NOT NULL AND {counted_new}')}; END",
    ]


@contextmanager
def per_statement():
    """Rating INSERTs inside (in the caller's transaction) reach the rollups once per statement,
    each rollup row once with the statement's count, rather than one upsert per rating and
    row (PostgreSQL; SQLite's row triggers are cheap): for the SMS inbox's sets. The mode is
    set back only after a success: after an error the caller's transaction is rolled back."""
    if not is_postgres():
        yield
        return
    db.execute_sql(f"SET LOCAL {MODE_SETTING} = 'statement'")
    yield
    db.execute_sql(f"SET LOCAL {MODE_SETTING} = 'row'")


def drop_trigger_sql(postgres: bool) -> list[str]:
    if postgres:
        return [
            "DROP TRIGGER IF EXISTS rating_rollup_trg ON rating",
            "DROP FUNCTION IF EXISTS rating_rollup_apply()",
            "DROP TRIGGER IF EXISTS rating_rollup_ins ON rating",
            "DROP FUNCTION IF EXISTS rating_rollup_inserted()",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS[:3]]


def rebuild_sql(postgres: bool) -> list[str]:
    """Recompute the whole rollup from `rating` (the migration's backfill, bulk loads)."""
    statements = ["DELETE FROM rating_rollup"]
    for grain, period in _periods("rating", postgres):
        for dim, unit, channel in _units("rating"):
            keys = ", ".join(e for e in (period, unit, channel) if e not in ("0", "''"))
            statements.append(
                f"INSERT INTO rating_rollup ({_COLUMNS}) "  # noqa: S608 - constants only
                f"SELECT '{grain}', {period}, '{dim}', {unit}, {channel}, department_id, level, COUNT(*) "
                f"FROM rating WHERE NOT excluded AND sequence = 1 AND {unit} IS NOT NULL "
                f"GROUP BY {keys}, department_id, level"
            )
    return statements


# --- reading -----------------------------------------------------------------------------------------


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _outside(month: dt.date, start: dt.date, end: dt.date) -> bool:
    """Whether any rating of `month` lies outside [start, end) — then the month row is not the range's."""
    cond = None
    if start > month:
        cond = (Rating.created_at >= _at(month)) & (Rating.created_at < _at(start))
    following = _next_month(month)
    if end < following:
        later = (Rating.created_at >= _at(end)) & (Rating.created_at < _at(following))
        cond = later if cond is None else (cond | later)
    return cond is not None and Rating.select(Rating.id).where(cond).exists()


def period_condition(start: dt.date, end: dt.date):
    """The rollup rows that sum to the ratings of [start, end), or None for an empty range."""
    if end <= start:
        return None
    months, days = [], []
    month = _month(start)
    while month < end:
        following = _next_month(month)
        lo, hi = max(start, month), min(end, following)
        if (lo == month and hi == following) or not _outside(month, lo, hi):
            months.append(month)
        else:
            days.append((lo, hi))
        month = following
    R = RatingRollup
    cond = None
    if months:
        cond = (R.grain == "m") & (R.period >= months[0]) & (R.period <= months[-1])
        if len(months) != (months[-1].year - months[0].year) * 12 + months[-1].month - months[0].month + 1:
            cond = (R.grain == "m") & R.period.in_(months)
    for lo, hi in days:
        part = (R.grain == "d") & (R.period >= lo) & (R.period < hi)
        cond = part if cond is None else (cond | part)
    return cond


UNIT_FILTERS = ("hall_id", "window_id", "staff_id", "item_id", "channel")


def plan(f, group: str | None):
    """(dim, extra condition) that answers `f` grouped by `group`, or None when the rollup cannot."""
    used = [name for name in UNIT_FILTERS if getattr(f, name) is not None]
    dim = group
    if dim is None:
        if len(used) > 1:
            return None
        dim = used[0].removesuffix("_id") if used else "department"
    elif any(name.removesuffix("_id") != dim for name in used):
        return None
    R = RatingRollup
    cond = R.dim == dim
    if f.department_id is not None:
        cond &= R.department_id == f.department_id
    for name in used:
        value = getattr(f, name)
        cond &= (R.channel == value) if name == "channel" else (R.unit_id == value)
    return dim, cond


def level_counts(f, group: str | None = None, by_month: bool = False) -> dict | None:
    """{key: {level: n}} of counted first ratings under `f` — key: the unit id (the channel code
    for "channel") when grouped, the month "YYYY-MM" when `by_month`, (unit, month) for both,
    else None — or None when the rollup does not cover `f`."""
    chosen = plan(f, group)
    if chosen is None:
        return None
    dim, cond = chosen
    periods = period_condition(f.start, f.end)
    if periods is None:
        return {}
    R = RatingRollup
    total = fn.SUM(R.n)
    keys = [] if group is None else [R.channel if dim == "channel" else R.unit_id]
    if by_month:
        keys += [R.grain, R.period]
    query = R.select(*keys, R.level, total).where(cond & periods).group_by(*keys, R.level)
    # Read through the cursor: peewee's per-value conversions cost more than the query here.
    rows = db.execute_sql(*query.sql()).fetchall()
    out: dict = {}
    grouped = group is not None
    for row in rows:
        n = row[-1]
        if not n:
            continue
        if by_month:
            period = row[-3]
            month = period[:7] if isinstance(period, str) else f"{period:%Y-%m}"
            k = (row[0], month) if grouped else month
        else:
            k = row[0] if grouped else None
        levels = out.get(k)
        if levels is None:
            levels = out[k] = {}
        level = row[-2]
        levels[level] = levels.get(level, 0) + int(n)
    return out
