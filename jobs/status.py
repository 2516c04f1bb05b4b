"""What staff see of the scheduler: each job's last run, and whether it looks alive."""

import datetime as dt

from core import clock
from core.config import current_settings
from models import JobRun

from .runner import load_table
from .table import NAMES


def job_runs() -> list[dict]:
    """One entry per scheduled job, in table order: {"id", "name", "schedule", "last_started_at",
    "last_finished_at", "ok", "error", "runs", "failures", "late"}; `late` when an interval job
    has not started for three of its intervals (is the scheduler process running?)."""
    specs = load_table(current_settings().jobs)
    runs = {row.job_id: row for row in JobRun.select()}
    now = clock.now()
    entries = []
    for spec in specs:
        row = runs.get(spec.id)
        started = row.last_started_at if row else None
        late = spec.every is not None and (started is None or now - started > dt.timedelta(seconds=3 * spec.every))
        entries.append(
            {
                "id": spec.id,
                "name": NAMES.get(spec.id, spec.id),
                "schedule": spec.describe_zh(),
                "last_started_at": started,
                "last_finished_at": row.last_finished_at if row else None,
                "ok": row.last_ok if row else None,
                "error": row.last_error if row else None,
                "runs": row.runs if row else 0,
                "failures": row.failures if row else 0,
                "late": late,
            }
        )
    return entries
