"""A month's figures per unit and district-wide: what the report, the public page and the
open data publish, computed live (an open month) or read from the frozen report.

`unit_rows(month)` gives one plain dict per active department — the rating counts
and rates (`figures.ratings`, `figures.definitions`) and the 差评 rectification
measures (`figures.rectification`) — JSON-ready, so that the same dicts are frozen
into the month's report when it closes. `district(rows)` adds them up;
`open_data(...)` is the contract's `/public/results.json` shape.
"""

import datetime as dt

from core.config import current_settings

from . import rectification
from .definitions import LEVELS
from .definitions import rating_rates
from .definitions import tally
from .period import first_day
from .period import shift
from .ratings import Filters
from .ratings import by_department

# Counts kept per unit; every rate is derived from them by `figures.definitions`.
COUNTS = ("rated", "good", "basic", "bad", "default_rated", "active_rated", "active_good", "completed", "unrated")
OPEN_DATA_RATES = (
    ("good_rate", "good_rate"),
    ("bad_rate", "bad_rate"),
    ("unrated_rate", "unrated_rate"),
    ("reply_rate", "reply_rate"),
    ("followup_rate", "followup_rate"),
    ("followup_satisfied_rate", "followup_satisfaction_rate"),
    ("on_time_rate", "on_time_rate"),
)


def _bounds(month: str) -> tuple[dt.date, dt.date]:
    return first_day(month), first_day(shift(month, 1))


def _basic() -> bool:
    return current_settings().rectification.basically_satisfied_counts


def unit_rows(month: str, department_id: int | None = None) -> list[dict]:
    """One dict per active department (district departments first, then towns), live."""
    start, end = _bounds(month)
    basic = _basic()
    measures = rectification.by_department((start, end - dt.timedelta(days=1)), basic)
    rows = []
    for r in by_department(Filters(start=start, end=end, department_id=department_id)):
        d = r["department"]
        rows.append(
            {
                "id": d.id,
                "code": d.code,
                "name": d.name,
                "kind": d.kind,
                "levels": {str(lv): r["levels"][lv] for lv in LEVELS},
                **{key: r[key] for key in COUNTS},
                **rating_rates(r),
                "rect": measures.get(d.id) or rectification.empty(basic),
            }
        )
    return rows


def district(rows: list[dict], code: str = "", name: str = "全区") -> dict:
    """The district total of `unit_rows`: counts added up, rates computed from the sums."""
    levels = {str(lv): sum(r["levels"][str(lv)] for r in rows) for lv in LEVELS}
    counts = tally({lv: levels[str(lv)] for lv in LEVELS})
    for key in COUNTS:
        counts[key] = sum(r[key] for r in rows)
    return {
        "id": None,
        "code": code,
        "name": name,
        "kind": "district_total",
        "levels": levels,
        **{key: counts[key] for key in COUNTS},
        **rating_rates(counts),
        "rect": rectification.combine([r["rect"] for r in rows], _basic()),
    }


def open_data_entry(row: dict) -> dict:
    """One unit (or the district) as `/public/results.json` names it."""
    entry = {"code": row["code"], "name": row["name"], "rated": row["rated"], "levels": dict(row["levels"])}
    for key, source in OPEN_DATA_RATES:
        entry[key] = row[source] if source in row else row["rect"][source]
    # Beyond the contract: the counts behind the rates.
    entry.update(
        bad=row["bad"],
        completed=row["completed"],
        unrated=row["unrated"],
        tickets=row["rect"]["bad"],
        overdue=row["rect"]["overdue"],
    )
    return entry


def open_data(month: str, rows: list[dict], total: dict, closed_at, version: int | None) -> dict:
    """The contract's shape: {"month", "closed_at", "district", "departments"} (+ "version")."""
    return {
        "month": month,
        "closed_at": closed_at,
        "version": version,
        "district": open_data_entry(total),
        "departments": [open_data_entry(r) for r in rows],
    }
