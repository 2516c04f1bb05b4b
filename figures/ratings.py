"""Rating figures (GB/T 39734 names), grouped in SQL.

Every figure counts *counted first ratings*: `Rating.excluded` is false (an
approved appeal or a fraud review takes a rating out) and `sequence` is 1 (a
追评 revises nothing here; it is shown with its case). A period is the half-open
range [start, end) of `Rating.created_at` (Beijing time). The formulas — 好评率
(5+4+3 by default), 差评率, 主动评价好评率 (without 系统默认评价), 未评率 — are
defined once in `figures/definitions.py`; this module counts.

Rankings leave out units with fewer than `figures.min_ranking_sample` ratings
and always carry their n. The functions take `Filters` and return plain dicts.
The rating counts come from the maintained rollup (`figures/rollup.py`) whenever
it covers the filters, else from the raw GROUP BY below (`raw=True` forces it;
the equivalence tests compare both). System default ratings (few, or none) are
counted live over their partial index.
"""

import datetime as dt
from dataclasses import dataclass
from dataclasses import replace

from peewee import Case as SqlCase
from peewee import fn

from core import clock
from core.config import current_settings
from models import Case
from models import Department
from models import Hall
from models import Item
from models import Rating
from models import Staff
from models import Window
from models.db import is_postgres
from models.rating import DEFAULT_CHANNEL
from models.rating import FIRST

from . import case_rollup
from . import rollup
from .definitions import good_levels
from .definitions import rate
from .definitions import rating_rates
from .definitions import tally

__all__ = ["Filters", "good_levels", "month_range", "next_month", "rate", "summary"]

UNITS = {
    "department": ("部门", Department, "department"),
    "hall": ("大厅", Hall, "hall"),
    "window": ("窗口", Window, "window"),
    "staff": ("工作人员", Staff, "staff"),
    "item": ("事项", Item, "item"),
}


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date  # exclusive
    department_id: int | None = None
    hall_id: int | None = None
    window_id: int | None = None
    staff_id: int | None = None
    item_id: int | None = None
    channel: str | None = None

    def with_period(self, start: dt.date, end: dt.date) -> "Filters":
        return replace(self, start=start, end=end)


def month_range(month: str) -> tuple[dt.date, dt.date]:
    """'2026-11' → (2026-11-01, 2026-12-01); raises ValueError on anything else,
    a month outside clock.EARLIEST..LATEST included."""
    start = dt.datetime.strptime(month, "%Y-%m").date()
    if not clock.EARLIEST.date() <= start < clock.LATEST.date():
        raise ValueError("month out of range")
    return start, next_month(start)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def rating_where(f: Filters):
    """The WHERE clause of counted first ratings under `f`."""
    cond = (
        (Rating.excluded == False)  # noqa: E712
        & (Rating.sequence == FIRST)
        & (Rating.created_at >= _start(f.start))
        & (Rating.created_at < _start(f.end))
    )
    for field, value in (
        (Rating.department, f.department_id),
        (Rating.hall, f.hall_id),
        (Rating.window, f.window_id),
        (Rating.staff, f.staff_id),
        (Rating.item, f.item_id),
        (Rating.channel, f.channel),
    ):
        if value is not None:
            cond &= field == value
    return cond


def _counts():
    good = good_levels()
    return (
        fn.COUNT(Rating.id).alias("rated"),
        fn.SUM(SqlCase(None, [(Rating.level.in_(good), 1)], 0)).alias("good"),
        fn.SUM(SqlCase(None, [(Rating.level == 3, 1)], 0)).alias("basic"),
        fn.SUM(SqlCase(None, [(Rating.is_bad == True, 1)], 0)).alias("bad"),  # noqa: E712
    )


def _rolled(f: Filters, group: str | None = None, by_month: bool = False, raw: bool = False):
    """The rollup's {key: {level: n}} for `f`, or None when it does not cover `f` (or `raw`)."""
    return None if raw else rollup.level_counts(f, group, by_month)


def _tally(levels: dict) -> dict:
    """A raw-query-shaped row (rated, good, basic, bad, l1..l5) from {level: n}."""
    return tally(levels)


def _levels_of(row: dict) -> dict:
    return {lv: int(row.get(f"l{lv}") or 0) for lv in (5, 4, 3, 2, 1)}


def summary(f: Filters, raw: bool = False) -> dict:
    """The rating counts and rates under `f` (see `figures.definitions` for each formula)."""
    counts = _rolled(f, raw=raw)
    if counts is not None:
        levels = counts.get(None, {})
    else:
        levels = level_distribution(f, raw=True)
    row = tally(levels, default_levels(f).get(None, {}))
    completed, unrated = completed_cases(f, raw)
    row.update(completed=completed, unrated=unrated)
    return {**row, **rating_rates(row)}


def default_levels(f: Filters, group: str | None = None) -> dict:
    """{key: {level: n}} of the counted system default first ratings under `f` (key: the unit id
    when grouped by `group`, else None): few or none, read over their partial index."""
    if f.channel is not None and f.channel != DEFAULT_CHANNEL:
        return {}
    cond = rating_where(f) & (Rating.channel == DEFAULT_CHANNEL)
    keys = [getattr(Rating, UNITS[group][2])] if group else []
    query = Rating.select(*keys, Rating.level, fn.COUNT(Rating.id)).where(cond).group_by(*keys, Rating.level)
    out: dict = {}
    for row in query.tuples():
        key = row[0] if group else None
        out.setdefault(key, {})[row[-2]] = row[-1]
    return out


def _default_rated_cases(f: Filters) -> dict[int, int]:
    """{department id: cases completed in the period whose first rating is a system default
    rating}: 未评率 counts them as unrated (nobody rated them)."""
    # A default rating comes after its case's completion: the bound lets its partial index answer,
    # and without any (the usual case: the rule is off) the cases are not read at all.
    since = (Rating.channel == DEFAULT_CHANNEL) & (Rating.created_at >= _start(f.start))
    if not Rating.select(Rating.id).where(since).exists():
        return {}
    cond = _completed_where(f) & since & (Rating.sequence == FIRST)
    query = (
        Rating.select(Case.department, fn.COUNT(Rating.id))
        .join(Case, on=(Rating.case == Case.id))
        .where(cond)
        .group_by(Case.department)
    )
    return dict(query.tuples())


def _rated_cases():
    """How many of the selected cases have a first rating: one probe of the (case, sequence)
    index per case (a join let PostgreSQL hash the whole rating table)."""
    first = Rating.alias()
    has_first = fn.EXISTS(first.select(first.id).where((first.case == Case.id) & (first.sequence == FIRST)))
    return fn.COALESCE(fn.SUM(SqlCase(None, [(has_first, 1)], 0)), 0)


def _case_counts(f: Filters, raw: bool) -> dict[int, tuple[int, int]] | None:
    """{department_id: (completed, rated)} from the case rollup, or None when it does not cover `f`."""
    if raw or any(v is not None for v in (f.hall_id, f.window_id, f.staff_id, f.item_id)):
        return None
    return case_rollup.counts(f.start, f.end, f.department_id)


def _completed_where(f: Filters):
    cond = (Case.status == "completed") & (Case.completed_at >= _start(f.start)) & (Case.completed_at < _start(f.end))
    for field, value in (
        (Case.department, f.department_id),
        (Case.hall, f.hall_id),
        (Case.window, f.window_id),
        (Case.staff, f.staff_id),
        (Case.item, f.item_id),
    ):
        if value is not None:
            cond &= field == value
    return cond


def completed_cases(f: Filters, raw: bool = False) -> tuple[int, int]:
    """(completed cases in the period, those of them without an active first rating)."""
    defaulted = sum(_default_rated_cases(f).values())
    rolled = _case_counts(f, raw)
    if rolled is not None:
        completed, rated = sum(c for c, _ in rolled.values()), sum(r for _, r in rolled.values())
        return completed, completed - rated + defaulted
    query = Case.select(fn.COUNT(Case.id).alias("completed"), _rated_cases().alias("rated"))
    row = query.where(_completed_where(f)).dicts().get()
    completed = row["completed"] or 0
    return completed, completed - (row["rated"] or 0) + defaulted


def level_distribution(f: Filters, raw: bool = False) -> dict[int, int]:
    counts = _rolled(f, raw=raw)
    if counts is not None:
        found = counts.get(None, {})
        return {level: found.get(level, 0) for level in (5, 4, 3, 2, 1)}
    rows = Rating.select(Rating.level, fn.COUNT(Rating.id).alias("n")).where(rating_where(f)).group_by(Rating.level)
    found = {row.level: row.n for row in rows}
    return {level: found.get(level, 0) for level in (5, 4, 3, 2, 1)}


def channel_mix(f: Filters, raw: bool = False) -> list[tuple[str, int]]:
    counts = _rolled(f, "channel", raw=raw)
    if counts is not None:
        mix = [(channel, sum(levels.values())) for channel, levels in counts.items()]
    else:
        rows = Rating.select(Rating.channel, fn.COUNT(Rating.id).alias("n")).where(rating_where(f))
        mix = [(row.channel, row.n) for row in rows.group_by(Rating.channel)]
    return sorted(mix, key=lambda pair: (-pair[1], pair[0]))


def month_expr(field):
    return fn.to_char(field, "YYYY-MM") if is_postgres() else fn.strftime("%Y-%m", field)


def monthly_trend(f: Filters, raw: bool = False) -> list[dict]:
    """One row per month of the period that has ratings: month, rated, good_rate, bad."""
    counts = _rolled(f, by_month=True, raw=raw)
    if counts is not None:
        rows = [{"month": month, **_tally(counts[month])} for month in sorted(counts)]
    else:
        month = month_expr(Rating.created_at)
        query = Rating.select(month.alias("month"), *_counts()).where(rating_where(f))
        rows = query.group_by(month).order_by(month).dicts()
    return [
        {
            "month": r["month"],
            "rated": r["rated"],
            "good_rate": rate(int(r["good"] or 0), r["rated"]),
            "bad": int(r["bad"] or 0),
        }
        for r in rows
    ]


def _unit_rows(f: Filters, unit: str, raw: bool) -> list[dict]:
    """Per unit of one kind with counted ratings: unit_id, rated, good, basic, bad, l1..l5."""
    counts = _rolled(f, unit, raw=raw)
    if counts is not None:
        return [{"unit_id": unit_id, **_tally(levels)} for unit_id, levels in counts.items()]
    field = getattr(Rating, UNITS[unit][2])
    level_cols = [fn.SUM(SqlCase(None, [(Rating.level == lv, 1)], 0)).alias(f"l{lv}") for lv in (5, 4, 3, 2, 1)]
    return list(
        Rating.select(field.alias("unit_id"), *_counts(), *level_cols)
        .where(rating_where(f) & field.is_null(False))
        .group_by(field)
        .dicts()
    )


def trend_by_unit(f: Filters, unit: str, raw: bool = False) -> dict:
    """{unit id: [{month, rated, good_rate, bad}, …]}: each unit's months that have ratings."""
    counts = _rolled(f, unit, by_month=True, raw=raw)
    if counts is None:
        field = getattr(Rating, UNITS[unit][2])
        month = month_expr(Rating.created_at)
        counts = {}
        query = Rating.select(field.alias("unit_id"), month.alias("month"), Rating.level, fn.COUNT(Rating.id))
        query = query.where(rating_where(f) & field.is_null(False)).group_by(field, month, Rating.level)
        for unit_id, month_, level, n in query.tuples():
            counts.setdefault((unit_id, month_), {})[level] = n
    out: dict = {}
    for unit_id, month in sorted(counts):
        row = _tally(counts[(unit_id, month)])
        out.setdefault(unit_id, []).append(
            {"month": month, "rated": row["rated"], "good_rate": rate(row["good"], row["rated"]), "bad": row["bad"]}
        )
    return out


def ranking(f: Filters, unit: str, min_sample: int | None = None, raw: bool = False) -> dict:
    """Units by 好评率 (then n), those below the minimum sample left out but counted."""
    if min_sample is None:
        min_sample = current_settings().figures.min_ranking_sample
    _, model, _ = UNITS[unit]
    rows = _unit_rows(f, unit, raw)
    names = {}
    ids = [r["unit_id"] for r in rows]
    if ids:
        names = {u.id: u.name for u in model.select(model.id, model.name).where(model.id.in_(ids))}
    ranked, unranked = [], []
    for r in rows:
        good, bad = int(r["good"] or 0), int(r["bad"] or 0)
        entry = {
            "id": r["unit_id"],
            "name": names.get(r["unit_id"], "—"),
            "rated": r["rated"],
            "good_rate": rate(good, r["rated"]),
            "bad": bad,
            "bad_rate": rate(bad, r["rated"]),
        }
        (ranked if r["rated"] >= min_sample else unranked).append(entry)
    ranked.sort(key=lambda r: (-r["good_rate"], -r["rated"], r["name"]))
    for position, r in enumerate(ranked, 1):
        r["rank"] = position
    # Shown for information, never ranked: by sample size, largest first.
    unranked.sort(key=lambda r: (-r["rated"], r["name"]))
    return {
        "unit": unit,
        "rows": ranked,
        "unranked": unranked,
        "too_small": len(unranked),
        "min_sample": min_sample,
    }


def by_department(f: Filters, raw: bool = False) -> list[dict]:
    """Per department (every active one, even without ratings): levels, the rating counts and
    rates of `figures.definitions` (好评率, 差评率, 主动评价好评率, 未评率)."""
    rows = {r["unit_id"]: r for r in _unit_rows(f, "department", raw)}
    defaults = default_levels(f, "department")
    defaulted = _default_rated_cases(f)
    cases = _case_counts(f, raw)
    if cases is None:
        cases = {
            r["department"]: (r["completed"], r["rated"])
            for r in Case.select(Case.department, fn.COUNT(Case.id).alias("completed"), _rated_cases().alias("rated"))
            .where(_completed_where(Filters(start=f.start, end=f.end)))
            .group_by(Case.department)
            .dicts()
        }
    result = []
    departments = Department.directory()
    if f.department_id is not None:
        departments = [d for d in departments if d.id == f.department_id]
    for d in departments:
        counts = tally(_levels_of(rows.get(d.id, {})), defaults.get(d.id, {}))
        completed, rated_cases = cases.get(d.id, (0, 0))
        completed = completed or 0
        counts.update(completed=completed, unrated=completed - (rated_cases or 0) + defaulted.get(d.id, 0))
        result.append(
            {
                "department": d,
                "levels": {lv: counts[f"l{lv}"] for lv in (5, 4, 3, 2, 1)},
                **counts,
                **rating_rates(counts),
            }
        )
    return result


def level_table(f: Filters, unit: str, raw: bool = False) -> list[dict]:
    """Per unit of one kind (every unit with ratings, no minimum): levels, 好评率, 差评数."""
    _, model, _ = UNITS[unit]
    good = good_levels()
    rows = _unit_rows(f, unit, raw)
    ids = [r["unit_id"] for r in rows]
    names = {u.id: u.name for u in model.select(model.id, model.name).where(model.id.in_(ids))} if ids else {}
    table = []
    for r in rows:
        levels = {lv: int(r[f"l{lv}"] or 0) for lv in (5, 4, 3, 2, 1)}
        good_n = sum(levels[lv] for lv in good)
        table.append(
            {
                "name": names.get(r["unit_id"], "—"),
                "levels": levels,
                "rated": r["rated"],
                "good_rate": rate(good_n, r["rated"]),
                "bad": levels[1] + levels[2],
                "bad_rate": rate(levels[1] + levels[2], r["rated"]),
            }
        )
    table.sort(key=lambda r: (-r["rated"], r["name"]))
    return table
