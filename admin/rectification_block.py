"""The dashboard's rectification block: the GB/T 39734 差评 measures from
`figures.rectification` (the same numbers as the monthly report and the public
page) and the tickets open right now."""

import datetime as dt

from core.config import current_settings
from figures import rectification

RATES = ("reply_rate", "followup_rate", "followup_satisfaction_rate", "on_time_rate")


def rectification_block(start: dt.date, end: dt.date, department_id: int | None) -> dict:
    """`end` is exclusive, as in the dashboard's filters."""
    basic = current_settings().rectification.basically_satisfied_counts
    period = (start, end - dt.timedelta(days=1))
    if department_id is None:
        measures = rectification.rectification_figures(period, basically_satisfied_counts=basic)
    else:
        measures = rectification.rectification_figures(period, "department", department_id, basic)
    rates = [(key, rectification.LABELS[key], _percent(measures[key])) for key in RATES]
    return {"measures": measures, "rates": rates, "now": rectification.open_now(department_id)}


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1f}%"
