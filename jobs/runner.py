"""The scheduler process: the job table run by APScheduler's BlockingScheduler.

One process per deployment (never inside the web workers). It waits idle until
it holds the scheduler lock (jobs/lock.py), then runs every job of
`jobs/table.py` with coalescing, one instance of each at a time and an
explicit misfire grace. Interval jobs also run once at start-up, so a restart
picks up the backlog at once. It never exits on a lost lock or an unreachable
database: it waits, pauses, reconnects (jobs/watch.py), and reports its state.
"""

import importlib
import logging
import os
import signal
import socket
import threading
import time
import zoneinfo
from dataclasses import dataclass

# APScheduler is imported where the scheduler process uses it: the web app imports this module
# (the jobs' status page, the CLI) and has no use for APScheduler's 3 MB.
from core import clock
from models import JobRun
from models import db
from models.migrate import migrate
from models.pools import connection_lost

from .lock import SchedulerLock
from .table import JOBS
from .watch import Heartbeat
from .watch import LockWatchdog
from .watch import wait_for_lock

log = logging.getLogger("jobs")

TIMEZONE = zoneinfo.ZoneInfo("Asia/Shanghai")


class TableError(Exception):
    """A job table row the runner cannot schedule."""


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    every: int | None = None
    cron: dict | None = None
    # Called with `interval=` its effective interval: a job that works until its next run.
    pass_interval: bool = False

    def trigger(self):
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        if self.every is not None:
            return IntervalTrigger(seconds=self.every, timezone=TIMEZONE)
        return CronTrigger(timezone=TIMEZONE, **self.cron)

    def describe(self) -> str:
        if self.every is not None:
            return f"every {self.every}s"
        return "cron " + " ".join(f"{k}={v}" for k, v in self.cron.items())

    def describe_zh(self) -> str:
        """The schedule as staff read it: 每5秒, 每15分钟, 每小时, 每天 06:10."""
        if self.every is not None:
            for unit, seconds in (("天", 86400), ("小时", 3600), ("分钟", 60), ("秒", 1)):
                if self.every % seconds == 0:
                    count = self.every // seconds
                    return f"每{unit}" if count == 1 else f"每{count}{unit}"
        fields = {k: str(v) for k, v in self.cron.items()}
        if set(fields) <= {"hour", "minute", "second"} and fields.get("hour", "").isdigit():
            return f"每天 {int(fields['hour']):02d}:{int(fields.get('minute', '0')):02d}"
        names = {"month": "月", "day": "日", "day_of_week": "星期", "hour": "时", "minute": "分"}
        return "定时：" + "，".join(f"{names.get(k, k)} {v}" for k, v in fields.items())


def resolve(path: str):
    module_name, _, name = path.partition(":")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as exc:
        raise TableError(f"{path}: cannot import ({exc})") from None


def load_table(jobs_settings, table: list[dict] | None = None) -> list[JobSpec]:
    """The table as specs, with `[jobs] disabled` and `intervals` applied; checked strictly."""
    table = JOBS if table is None else table
    intervals = {pair.split("=")[0]: int(pair.split("=")[1]) for pair in jobs_settings.intervals}
    specs, seen = [], set()
    for row in table:
        job_id = row.get("id")
        if not job_id or job_id in seen:
            raise TableError(f"job id {job_id!r} is missing or not unique")
        seen.add(job_id)
        if ("every" in row) == ("cron" in row):
            raise TableError(f"{job_id}: give exactly one of every / cron")
        resolve(row["func"])
        if "cron" in row:
            from apscheduler.triggers.cron import CronTrigger

            CronTrigger(timezone=TIMEZONE, **row["cron"])  # raises on a bad field
        if job_id in jobs_settings.disabled:
            continue
        every = row.get("every")
        if every is not None:
            every = intervals.get(job_id, every)
            if not isinstance(every, int) or every < 1:
                raise TableError(f"{job_id}: every must be a positive number of seconds")
        if row.get("pass_interval") and every is None:
            raise TableError(f"{job_id}: pass_interval needs an interval job")
        specs.append(JobSpec(job_id, row["func"], every, row.get("cron"), bool(row.get("pass_interval"))))
    unknown = (set(intervals) | set(jobs_settings.disabled)) - seen
    if unknown:
        raise TableError(f"[jobs] names unknown job(s): {', '.join(sorted(unknown))}")
    return specs


def run_job(app, spec: JobSpec):
    """Run one job in an app context, recording the run; exceptions are logged, not raised."""
    func = resolve(spec.func)
    started = time.monotonic()
    _record(spec.id, started=True)
    try:
        with app.app_context():
            result = func(interval=spec.every) if spec.pass_interval else func()
    except Exception as exc:
        log.exception("job %s failed", spec.id)
        if connection_lost(exc):
            # The server restarted or failed over: the idle pooled connections died with this one.
            db.obj.discard_idle()
        _record(spec.id, error=f"{type(exc).__name__}: {exc}")
        return None
    _record(spec.id)
    log.debug("job %s done in %.2fs: %s", spec.id, time.monotonic() - started, result)
    return result


def _record(job_id: str, started: bool = False, error: str | None = None) -> None:
    """Keep the job's last run for staff; never lets bookkeeping break the job."""
    try:
        with db.connection_context():
            JobRun.insert(job_id=job_id, host=socket.gethostname()[:100]).on_conflict_ignore().execute()
            if started:
                changes = {JobRun.last_started_at: clock.now(), JobRun.pid: os.getpid(), JobRun.runs: JobRun.runs + 1}
            else:
                changes = {
                    JobRun.last_finished_at: clock.now(),
                    JobRun.last_ok: error is None,
                    JobRun.last_error: error,
                }
                if error is not None:
                    changes[JobRun.failures] = JobRun.failures + 1
            JobRun.update(changes).where(JobRun.job_id == job_id).execute()
    except Exception:
        log.exception("could not record the run of job %s", job_id)


def build_scheduler(app, specs: list[JobSpec], jobs_settings):
    """APScheduler's BlockingScheduler with the table's jobs."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler

    threads = max(1, min(jobs_settings.threads, len(specs) + 1))
    scheduler = BlockingScheduler(
        executors={"default": ThreadPoolExecutor(threads)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": jobs_settings.misfire_grace_seconds,
        },
        timezone=TIMEZONE,
    )
    for spec in specs:
        scheduler.add_job(
            run_job,
            spec.trigger(),
            args=(app, spec),
            id=spec.id,
            name=spec.id,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=jobs_settings.misfire_grace_seconds,
            # Interval jobs start at once: a restarted scheduler takes up the backlog without waiting.
            next_run_time=_now() if spec.every is not None else None,
        )
    return scheduler


def _now():
    import datetime as dt

    return dt.datetime.now(TIMEZONE)


def run(app, stop: threading.Event | None = None) -> int:
    """The process: wait for the lock, then schedule until stopped; returns an exit status."""
    settings = app.config["SETTINGS"]
    specs = load_table(settings.jobs)
    stop = stop or threading.Event()
    lock = SchedulerLock.for_url(settings.database.url)
    beat = Heartbeat()
    if not wait_for_lock(lock, settings.jobs.lock_poll_seconds, stop, beat):
        beat.gone()
        return 0
    log.info("scheduler lock acquired (pid %s); %d job(s): %s", os.getpid(), len(specs), _summary(specs))
    # The schema may be newer than the database (a deploy): apply what is pending, under the lock.
    migrate()
    if settings.app.log_level != "DEBUG":
        # APScheduler logs every run at INFO: every 2 seconds for the push alone.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        logging.getLogger("apscheduler.scheduler").addFilter(not_a_skipped_tick)
    scheduler = build_scheduler(app, specs, settings.jobs)
    from apscheduler.triggers.interval import IntervalTrigger

    watchdog = LockWatchdog(scheduler, lock, [spec.id for spec in specs], beat)
    beat("active")
    scheduler.add_job(
        watchdog.check,
        IntervalTrigger(seconds=settings.jobs.watchdog_seconds, timezone=TIMEZONE),
        id="_lock_watchdog",
        max_instances=1,
        coalesce=True,
    )

    def on_signal(signum, _frame):
        # Running jobs finish before the lock is released, so that a successor never overlaps them.
        log.info("signal %s: stopping the scheduler after the running jobs", signum)
        if scheduler.running:
            scheduler.shutdown(wait=True)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    threading.Thread(
        target=lambda: (stop.wait(), scheduler.running and scheduler.shutdown(wait=False)), daemon=True
    ).start()
    try:
        scheduler.start()
    finally:
        lock.release()
        beat.gone()
        log.info("scheduler stopped; lock released")
    return 0


def not_a_skipped_tick(record: logging.LogRecord) -> bool:
    """Drops APScheduler's warning that a tick found the job's previous run still going.

    One instance at a time is the rule, and a job that drains a backlog (upstream.push)
    runs longer than its interval by design: the tick is skipped and the next run takes
    up the rest. JobRun keeps every run's start and end for staff.
    """
    return "maximum number of running instances reached" not in str(record.msg)


def _summary(specs) -> str:
    return ", ".join(f"{spec.id} ({spec.describe()})" for spec in specs) or "none"
