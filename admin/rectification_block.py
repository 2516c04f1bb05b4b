"""The dashboard's rectification figures, kept apart from the rating figures.

The rectification area computes 差评回复率, 回访整改率, 回访整改满意率, on-time and
overdue in `figures.rectification`; when that module is present its figures
are shown too. The plain ticket counts come from `figures.ticket_counts`.
"""

import datetime as dt
import importlib

from figures import ticket_counts
from figures.ticket_counts import OPEN_STATES  # noqa: F401  (the ticket queue sorts by it)


def tickets_block(start: dt.date, end: dt.date, department_id: int | None) -> dict:
    return {**ticket_counts.counts(start, end, department_id), "now": ticket_counts.open_now(department_id)}


def rectification_figures(start: dt.date, end: dt.date, department_id: int | None) -> dict | None:
    """{label: value} from the rectification area, or None while `figures.rectification` is not there."""
    try:
        module = importlib.import_module("figures.rectification")
    except ImportError:
        return None
    return module.summary(start, end, department_id)
