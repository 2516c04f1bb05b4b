# ruff: noqa: S608 - every statement here is built from constants and row aliases
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

Exactness. Triggers on `rating` (both dialects, `trigger_sql()`, migration 0038)
record every change that moves a count — +1 for a counted rating inserted, -1/+1 when a
counted rating's level, time, units or channel change or `excluded` (or `sequence`)
flips, -1 for a delete — whoever makes it: the rating core, an approved appeal, a fraud
review, any `Rating.update(...)` or a hand-written SQL fix. They append one row each
to `rating_rollup_delta` (the rating's day, units and level, ±1) in the rating's own
transaction (the table is created with the triggers, `figures.triggers.install`);
`fold()` moves the deltas into `rating_rollup` (the `figures.rollup` job,
`figures.triggers.fold_job`, every 10 s), and `level_counts` reads the rollup plus the
deltas not folded yet, in one statement, so a figure is exact at every moment, folded or
not. Why deltas: when each rating upserted its dozen rollup rows, concurrent ratings of
one department and level queued on those rows' locks until each COMMIT was on disk (on
PostgreSQL even with the upsert deferred to COMMIT), and every update left a dead row
version on the hottest pages; an append touches no shared row. The fold (`figures.deltas`)
takes exactly what was committed and adds it up, so a delta is never counted twice or lost.

Bulk loads (`bench.generate`) drop the triggers, load, then rebuild and
reinstall them (`figures/triggers.py`, for all three rollups).
"""

import datetime as dt

from peewee import Value
from peewee import fn

from models import Rating
from models import RatingRollup
from models import RatingRollupDelta
from models import db
from models.rollup import DIMS

from . import deltas

_COLUMNS = "grain, period, dim, unit_id, channel, department_id, level, n"
_KEY = "department_id, level, grain, period, dim, unit_id, channel"
_DELTA_COLUMNS = "day, department_id, hall_id, window_id, staff_id, item_id, channel, level, n"
_WATCHED = ("excluded", "sequence", "level", "created_at", "department_id", "hall_id", "window_id", "staff_id")
_WATCHED += ("item_id", "channel")
TRIGGERS = ("rating_rollup_ai", "rating_rollup_au", "rating_rollup_ad")
DELTA = RatingRollupDelta  # what the triggers append to; created with them (figures.triggers.install)
# Before the deltas (migration 0038): the upserts themselves, deferred to COMMIT on PostgreSQL.
_OLD_PG = ("rating_rollup_trg", "rating_rollup_ins")
_OLD_PG_FUNCTIONS = ("rating_rollup_apply", "rating_rollup_inserted")


def _units(row: str) -> list[tuple[str, str, str]]:
    """(dim, unit_id expression, channel expression) of one row alias (a rating or a delta)."""
    units = [(dim, f"{row}.{dim}_id", "''") for dim in DIMS if dim != "channel"]
    return units + [("channel", "0", f"{row}.channel")]


def _periods(row: str, postgres: bool) -> list[tuple[str, str]]:
    if postgres:
        return [("d", f"{row}.created_at::date"), ("m", f"date_trunc('month', {row}.created_at)::date")]
    return [("d", f"date({row}.created_at)"), ("m", f"strftime('%Y-%m-01', {row}.created_at)")]


def _append(row: str, sign: int, postgres: bool, guard: str | None = None) -> str:
    """Append the delta of one rating row alias (NEW/OLD): its day, units and level, ±1;
    with a `guard`, only when it holds (SQLite's triggers have no IF)."""
    day = _periods(row, postgres)[0][1]
    units = ", ".join(f"{row}.{dim}_id" for dim in DIMS if dim != "channel")
    values = f"{day}, {units}, {row}.channel, {row}.level, {sign}"
    rows = f"SELECT {values} WHERE {guard}" if guard else f"VALUES ({values})"
    return f"INSERT INTO rating_rollup_delta ({_DELTA_COLUMNS}) {rows}"


def trigger_sql(postgres: bool) -> list[str]:
    """The statements that install the triggers (drop them first with `drop_trigger_sql`):
    each appends to `rating_rollup_delta` — one row per counted rating inserted, -1/+1 rows
    for a change, -1 for a delete — and touches no shared row, so concurrent ratings never
    wait on each other here (the upserts on a department's rows were a queue at COMMIT)."""
    if postgres:
        counted_new, counted_old = "NOT NEW.excluded AND NEW.sequence = 1", "NOT OLD.excluded AND OLD.sequence = 1"
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _WATCHED)
        function = (
            "CREATE OR REPLACE FUNCTION rating_rollup_delta() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP IN ('UPDATE', 'DELETE') AND {counted_old} THEN {_append('OLD', -1, True)}; END IF;\n"
            f"  IF TG_OP IN ('INSERT', 'UPDATE') AND {counted_new} THEN {_append('NEW', 1, True)}; END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        # The WHENs keep the function call off what does not count (a 追评, a held rating, a
        # change to other columns).
        return [
            function,
            f"CREATE TRIGGER rating_rollup_ai AFTER INSERT ON rating FOR EACH ROW WHEN ({counted_new}) "
            "EXECUTE FUNCTION rating_rollup_delta()",
            f"CREATE TRIGGER rating_rollup_au AFTER UPDATE ON rating FOR EACH ROW WHEN ({changed}) "
            "EXECUTE FUNCTION rating_rollup_delta()",
            f"CREATE TRIGGER rating_rollup_ad AFTER DELETE ON rating FOR EACH ROW WHEN ({counted_old}) "
            "EXECUTE FUNCTION rating_rollup_delta()",
        ]
    counted_new, counted_old = "NEW.excluded = 0 AND NEW.sequence = 1", "OLD.excluded = 0 AND OLD.sequence = 1"
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _WATCHED)
    return [
        f"CREATE TRIGGER rating_rollup_ai AFTER INSERT ON rating WHEN {counted_new} "
        f"BEGIN {_append('NEW', 1, False)}; END",
        f"CREATE TRIGGER rating_rollup_ad AFTER DELETE ON rating WHEN {counted_old} "
        f"BEGIN {_append('OLD', -1, False)}; END",
        f"CREATE TRIGGER rating_rollup_au AFTER UPDATE ON rating WHEN {changed} BEGIN "
        f"{_append('OLD', -1, False, counted_old)}; {_append('NEW', 1, False, counted_new)}; END",
    ]


def drop_trigger_sql(postgres: bool) -> list[str]:
    if postgres:
        names = TRIGGERS + _OLD_PG
        return [f"DROP TRIGGER IF EXISTS {name} ON rating" for name in names] + [
            f"DROP FUNCTION IF EXISTS {name}()" for name in ("rating_rollup_delta", *_OLD_PG_FUNCTIONS)
        ]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]


def _fold_rows(postgres: bool) -> str:
    """INSERT … SELECT of the rollup rows that the delta rows of the CTE `moved` add up to."""
    periods = [("d", "day"), ("m", "date_trunc('month', day)::date" if postgres else "strftime('%Y-%m-01', day)")]
    branches = " UNION ALL ".join(
        f"SELECT '{grain}' AS g, {period} AS p, '{dim}' AS d, {unit.removeprefix('r.')} AS u, "
        f"{channel.removeprefix('r.')} AS c, department_id, level, n FROM moved"
        for grain, period in periods
        for dim, unit, channel in _units("r")
    )
    return (
        f"INSERT INTO rating_rollup ({_COLUMNS}) "
        f"SELECT g, p, d, u, c, department_id, level, SUM(n) FROM ({branches}) AS x WHERE u IS NOT NULL "
        "GROUP BY g, p, d, u, c, department_id, level HAVING SUM(n) <> 0 "
        + ("ORDER BY department_id, level, g, p, d, u, c " if postgres else "")  # rows locked in the key's order
        + f"ON CONFLICT ({_KEY}) DO UPDATE SET n = rating_rollup.n + excluded.n"
    )


def fold() -> int:
    """Move the deltas into the rollup (`figures.deltas.fold`); returns how many were moved."""
    return deltas.fold(DELTA._meta.table_name, _fold_rows)


def rebuild_sql(postgres: bool) -> list[str]:
    """Recompute the whole rollup from `rating` (the migration's backfill, bulk loads: with
    `figures.triggers.rebuild`, which drops the deltas first)."""
    statements = ["DELETE FROM rating_rollup"]
    for grain, period in _periods("rating", postgres):
        for dim, unit, channel in _units("rating"):
            keys = ", ".join(e for e in (period, unit, channel) if e not in ("0", "''"))
            statements.append(
                f"INSERT INTO rating_rollup ({_COLUMNS}) "
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


def plan(f, group: str | None) -> tuple[str, list[str]] | None:
    """(dim, the unit filters used) that answer `f` grouped by `group`, or None when the rollup cannot."""
    used = [name for name in UNIT_FILTERS if getattr(f, name) is not None]
    dim = group
    if dim is None:
        if len(used) > 1:
            return None
        dim = used[0].removesuffix("_id") if used else "department"
    elif any(name.removesuffix("_id") != dim for name in used):
        return None
    return dim, used


def _rollup_query(f, dim: str, used: list[str], grouped: bool, by_month: bool):
    """The folded counts: rows of (unit?, grain, period)?, level, n."""
    periods = period_condition(f.start, f.end)
    R = RatingRollup
    cond = (R.dim == dim) & periods
    if f.department_id is not None:
        cond &= R.department_id == f.department_id
    for name in used:
        value = getattr(f, name)
        cond &= (R.channel == value) if name == "channel" else (R.unit_id == value)
    keys = [R.channel if dim == "channel" else R.unit_id] if grouped else []
    if by_month:
        keys += [R.grain, R.period]
    return R.select(*keys, R.level, fn.SUM(R.n)).where(cond).group_by(*keys, R.level)


def _delta_query(f, dim: str, used: list[str], grouped: bool, by_month: bool):
    """The deltas not folded yet, in the same row shape (their grain: 'd')."""
    D = RatingRollupDelta
    unit = D.channel if dim == "channel" else getattr(D, f"{dim}_id")
    cond = (D.day >= f.start) & (D.day < f.end) & unit.is_null(False)
    if f.department_id is not None:
        cond &= D.department_id == f.department_id
    for name in used:
        cond &= getattr(D, name) == getattr(f, name)
    keys = [unit] if grouped else []
    group_keys = list(keys)
    if by_month:
        keys += [Value("d"), D.day]
        group_keys.append(D.day)
    return D.select(*keys, D.level, fn.SUM(D.n)).where(cond).group_by(*group_keys, D.level)


def level_counts(f, group: str | None = None, by_month: bool = False) -> dict | None:
    """{key: {level: n}} of counted first ratings under `f` — key: the unit id (the channel code
    for "channel") when grouped, the month "YYYY-MM" when `by_month`, (unit, month) for both,
    else None — or None when the rollup does not cover `f`. The folded rollup plus the deltas
    not folded yet: exact at every moment."""
    chosen = plan(f, group)
    if chosen is None:
        return None
    if f.end <= f.start:
        return {}
    dim, used = chosen
    grouped = group is not None
    out: dict = {}
    # One statement: the folded rows, then the deltas (UNION ALL). Read through the cursor:
    # peewee's per-value conversions cost more than the query here.
    query = _rollup_query(f, dim, used, grouped, by_month) + _delta_query(f, dim, used, grouped, by_month)
    for row in db.execute_sql(*query.sql()).fetchall():
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
    # A rating excluded since the last fold: its -1 takes out a folded +1, maybe a unit's last.
    return {k: {level: n for level, n in levels.items() if n} for k, levels in out.items() if any(levels.values())}
