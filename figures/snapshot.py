"""A month's report: live while the month is open, frozen once it is closed.

`MonthData(month)` is what every face of the month reads — the admin's report and
考核 pages, the monthly and 考核 xlsx, `/public/results` and its JSON — section by
section: `units` and `district` (`figures.published`), `assessment`, `lists`
(commend/attention), `analysis`, `tickets` (the 差评 sheet), `breakdowns` (per unit:
windows, staff, items), `board` (who submitted), `amendments` and `definitions`
(the formulas in force). For an open month each section is computed when first
asked; for a closed month every section comes from the latest `MonthReport`.

Closing (`close`): every section is computed once and stored as version 1 (a
re-issue stores version 2, …; a version is never rewritten). Two closers at once
(the scheduler and the command) make one version: the unique (month, version) index
decides.

补报 (amendments). Data dated in a closed month that arrives (or is excluded) after
the close never changes its report: at the next close, each closed month's figures
are counted again and the difference from its report — less what earlier reports
already recorded as its 补报 — is recorded in the new report's `amendments`. The
live report of an open month shows what is pending. The rating counts (by level)
and the completed cases are compared; closed months of the last
`AMENDMENT_MONTHS` are looked at.
"""

import json

from peewee import IntegrityError

from core import clock
from core.cache import TtlCache
from core.config import current_settings
from models import AuditLog
from models import MonthReport
from models import db

from . import analysis
from . import assessment
from . import lists
from . import published
from . import submissions
from .bad_reviews import month_tickets
from .definitions import LEVELS
from .definitions import catalogue
from .period import first_day
from .period import shift
from .ratings import Filters
from .ratings import by_department
from .ratings import level_table

AMENDMENT_MONTHS = 24
AMENDED = ("rated", "good", "bad", "completed")
_frozen = TtlCache(600, size=64)  # parsed reports by id: a version never changes


def _frozen_figures(report: MonthReport) -> dict:
    data = _frozen.get(report.id)
    if data is None:
        data = report.figures
        _frozen.put(report.id, data)
    return data


class MonthData:
    """The sections of one month's report; `live=True` computes them even for a closed month."""

    def __init__(self, month: str, live: bool = False):
        self.month = month
        self.report = None if live else MonthReport.latest(month)
        self._sections: dict = dict(_frozen_figures(self.report)) if self.report is not None else {}

    @property
    def closed(self) -> bool:
        return self.report is not None

    @property
    def closed_at(self):
        return self.report.closed_at if self.report is not None else None

    @property
    def version(self):
        return self.report.version if self.report is not None else None

    def __getitem__(self, section: str):
        if section not in self._sections:
            # Live, or a section that a report closed by an older version did not have yet.
            self._sections[section] = BUILDERS[section](self)
        return self._sections[section]

    @property
    def bounds(self):
        return first_day(self.month), first_day(shift(self.month, 1))

    def open_data(self) -> dict:
        return published.open_data(self.month, self["units"], self["district"], clock.iso(self.closed_at), self.version)


def _units(data: MonthData) -> list[dict]:
    return published.unit_rows(data.month)


def _district(data: MonthData) -> dict:
    return published.district(data["units"], code=current_settings().upstream.area_code)


def _assessment(data: MonthData) -> dict:
    return assessment.ranking(data["units"])


def _lists(data: MonthData) -> dict:
    start, end = data.bounds
    return {"commend": lists.commend(start, end), "attention": lists.attention(start, end)}


def _analysis(data: MonthData) -> dict:
    return analysis.analyse(*data.bounds)


def _tickets(data: MonthData) -> list[dict]:
    return month_tickets(*data.bounds)


def _breakdowns(data: MonthData) -> dict:
    start, end = data.bounds
    out = {}
    for row in data["units"]:
        if not row["rated"]:
            continue
        f = Filters(start=start, end=end, department_id=row["id"])
        out[str(row["id"])] = {unit: level_table(f, unit) for unit in ("window", "staff", "item")}
    return out


def _board(data: MonthData) -> list[dict]:
    return submissions.board(data.month, plain=True)


def _amendments(data: MonthData) -> list[dict]:
    return pending_amendments(data.month)


def _definitions(data: MonthData) -> dict:
    return {key: {"name": f.name, "formula": f.formula, "counts": f.counts} for key, f in catalogue().items()}


BUILDERS = {
    "units": _units,
    "district": _district,
    "assessment": _assessment,
    "lists": _lists,
    "analysis": _analysis,
    "tickets": _tickets,
    "breakdowns": _breakdowns,
    "board": _board,
    "amendments": _amendments,
    "definitions": _definitions,
}


def close(month: str, by: str, reissue: bool = False) -> tuple[MonthReport, bool]:
    """Freeze `month`; returns (its latest report, whether this call made it)."""
    latest = MonthReport.latest(month)
    if latest is not None and not reissue:
        return latest, False
    live = MonthData(month, live=True)
    sections = {name: live[name] for name in BUILDERS}
    version = (latest.version if latest is not None else 0) + 1
    now = clock.now()
    sections.update(month=month, version=version, closed_at=clock.iso(now), closed_by=by)
    try:
        with db.atomic():
            report = MonthReport.create(
                month=month, version=version, closed_at=now, closed_by=by, data=json.dumps(sections, ensure_ascii=False)
            )
            AuditLog.record(by, "month.close", f"month:{month}", version=version)
    except IntegrityError:
        return MonthReport.latest(month), False
    return report, True


def _counts(rows: list[dict]) -> dict:
    """{unit id: {count: n}} of the amended counts (levels included)."""
    out = {}
    for row in rows:
        entry = {key: row[key] for key in AMENDED}
        entry.update({f"l{lv}": row["levels"][str(lv)] for lv in LEVELS})
        out[row["id"]] = entry
    return out


def pending_amendments(before_month: str) -> list[dict]:
    """What closed months before `before_month` have gained or lost since their reports."""
    closed = MonthReport.closed_months()
    oldest = shift(before_month, -AMENDMENT_MONTHS)
    amendments = []
    for month, row in sorted(closed.items()):
        if not oldest <= month < before_month:
            continue
        report = row
        frozen = _frozen_figures(report)
        baseline = _counts(frozen["units"])
        names = {r["id"]: r["name"] for r in frozen["units"]}
        for later in MonthReport.closed_after(report.closed_at):
            for amendment in _frozen_figures(later).get("amendments", []):
                if amendment["month"] == month:
                    for unit in amendment["units"]:
                        for key, delta in unit["delta"].items():
                            baseline.setdefault(unit["id"], {})[key] = baseline.get(unit["id"], {}).get(key, 0) + delta
        start, end = first_day(month), first_day(shift(month, 1))
        units = []
        for live in by_department(Filters(start=start, end=end)):
            d = live["department"]
            now = {key: live[key] for key in AMENDED}
            now.update({f"l{lv}": live["levels"][lv] for lv in LEVELS})
            before = baseline.get(d.id, {})
            delta = {key: value - before.get(key, 0) for key, value in now.items()}
            if any(delta.values()):
                units.append({"id": d.id, "code": d.code, "name": names.get(d.id, d.name), "delta": delta})
        if units:
            total = {key: sum(u["delta"][key] for u in units) for key in units[0]["delta"]}
            amendments.append({"month": month, "report_version": report.version, "units": units, "total": total})
    return amendments
