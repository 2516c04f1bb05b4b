"""The dashboard: rating figures (each with its formula from `figures.definitions`), charts,
rankings (units under the minimum sample listed apart), commend and attention lists and the
problems citizens raise, under the chosen filters."""

import datetime as dt

from flask import g
from flask import render_template
from flask import request

from figures import analysis
from figures import lists
from figures import ratings as figures
from figures.definitions import catalogue
from models import CHANNELS
from models import LEVEL_NAMES
from models import MonthReport

from . import bp
from . import charts
from .filters import filter_choices
from .filters import filters_from_request
from .rectification_block import rectification_block

LEVEL_COLORS = ("#2e8b57", "#3f8ae0", "#8fb8ec", "#f5a623", "#c2272d")
TREND_MONTHS = 12


@bp.route("/")
def dashboard():
    f, shown = filters_from_request()
    summary = figures.summary(f)
    levels = figures.level_distribution(f)
    channels = figures.channel_mix(f)
    last = f.end - dt.timedelta(days=1)
    index = last.year * 12 + last.month - 1 - (TREND_MONTHS - 1)
    trend_start = dt.date(index // 12, index % 12 + 1, 1)
    trend = figures.monthly_trend(f.with_period(min(trend_start, f.start), f.end))
    units = ["department", "hall", "window", "staff", "item"] if g.scope.all else ["hall", "window", "staff", "item"]
    unit = request.args.get("rank", units[0])
    if unit not in units:
        unit = units[0]
    return render_template(
        "admin/dashboard.html",
        f=f,
        shown=shown,
        summary=summary,
        levels_chart=charts.hbars([(LEVEL_NAMES[lv], n) for lv, n in levels.items()], LEVEL_COLORS),
        channels_chart=charts.hbars([(CHANNELS.get(c, c), n) for c, n in channels]),
        trend_chart=charts.trend(trend),
        ranking=figures.ranking(f, unit),
        units=units,
        unit_names={k: v[0] for k, v in figures.UNITS.items()},
        rectification=rectification_block(f.start, f.end, f.department_id),
        choices=filter_choices(),
        args=request.args,
        figures_defined=catalogue(),
        commend=lists.commend(f.start, f.end, f.department_id),
        attention=lists.attention(f.start, f.end, f.department_id),
        repeat_days=lists.window_days(),
        problems=analysis.analyse_recent(f.start, f.end, f.department_id),
        month=_month_of(f),
        report=_report_of(f),
    )


def _month_of(f) -> str | None:
    """ "YYYY-MM" when the period is one whole month."""
    if f.start.day == 1 and f.end == figures.next_month(f.start):
        return f"{f.start:%Y-%m}"
    return None


def _report_of(f):
    month = _month_of(f)
    return MonthReport.latest(month) if month else None
