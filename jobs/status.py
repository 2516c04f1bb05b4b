"""What staff and /healthz see of the scheduler: each job's last run, whether a
scheduler process holds the lock and beats, and whether the jobs run on time."""

import datetime as dt

from core import clock
from core.config import current_settings
from models import JobRun
from models import SchedulerProcess
from models.scheduler import SCHEDULER_STATES

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


def scheduler_health() -> dict:
    """{"status", "state_name", "late_jobs", "beat_at", "processes"}. status: "ok" (a process
    holds the lock, beats, and every interval job ran on time), "late" (it beats, but jobs are
    late), "lock_lost" (its lock connection is gone: jobs paused), "standby" (only waiting
    processes: none runs the jobs), "not_running" (no process beat lately)."""
    settings = current_settings().jobs
    now = clock.now()
    fresh_after = now - dt.timedelta(seconds=3 * settings.watchdog_seconds + 5)
    rows = SchedulerProcess.latest()
    fresh = [row for row in rows if row.beat_at >= fresh_after]
    late = [entry["id"] for entry in job_runs() if entry["late"]]
    active = next((row for row in fresh if row.state == "active"), None)
    if active is not None:
        status = "late" if late else "ok"
    elif any(row.state == "lock_lost" for row in fresh):
        status = "lock_lost"
    elif fresh:
        status = "standby"
    else:
        status = "not_running"
    names = {"ok": "运行正常", "late": "运行中，但有任务未按时执行", "not_running": "调度进程未运行"}
    shown = active or (rows[0] if rows else None)
    return {
        "status": status,
        "state_name": names.get(status) or SCHEDULER_STATES.get(status, status),
        "late_jobs": late,
        "beat_at": shown.beat_at if shown else None,
        "processes": len(fresh),
    }
