"""The dashboard: rating figures, charts and rankings under the chosen filters."""

import datetime as dt

from flask import g
from flask import render_template
from flask import request

from figures import ratings as figures
from models import CHANNELS
from models import LEVEL_NAMES

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
    )
