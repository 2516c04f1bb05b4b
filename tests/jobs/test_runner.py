"""The job table, the scheduler built from it, the lock, and the operator commands."""

import logging

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs import runner
from jobs.lock import SchedulerLock
from jobs.table import JOBS
from jobs.table import NAMES
from models import JobRun
from models import db

CALLS = []


def ok_job():
    CALLS.append("ok")
    return "done"


def broken_job():
    raise RuntimeError("boom")


TABLE = [
    {"id": "t.ok", "func": "tests.jobs.test_runner:ok_job", "every": 30},
    {"id": "t.broken", "func": "tests.jobs.test_runner:broken_job", "every": 60},
    {"id": "t.monthly", "func": "tests.jobs.test_runner:ok_job", "cron": {"day": 25, "hour": 9}},
]


def jobs_settings(app):
    return app.config["SETTINGS"].jobs


def test_every_row_of_the_real_table_can_be_scheduled(app):
    specs = runner.load_table(jobs_settings(app))
    assert [spec.id for spec in specs] == [row["id"] for row in JOBS]
    assert {"upstream.push", "upstream.reconcile"} <= {spec.id for spec in specs}
    push = next(spec for spec in specs if spec.id == "upstream.push")
    assert push.every <= 5  # a rating reaches the city within 10 seconds


@pytest.mark.settings({"jobs": {"intervals": ["t.ok=1"], "disabled": ["t.broken"]}})
def test_intervals_and_disabled_jobs_come_from_the_configuration(app):
    specs = runner.load_table(jobs_settings(app), TABLE)
    assert [(spec.id, spec.every) for spec in specs] == [("t.ok", 1), ("t.monthly", None)]
    assert specs[1].describe() == "cron day=25 hour=9"


@pytest.mark.parametrize(
    "table, message",
    [
        ([{"id": "a", "func": "tests.jobs.test_runner:nope", "every": 5}], "cannot import"),
        ([{"id": "a", "func": "tests.jobs.test_runner:ok_job"}], "exactly one of every / cron"),
        ([{"id": "a", "func": "tests.jobs.test_runner:ok_job", "every": 5, "cron": {"hour": 1}}], "exactly one"),
        ([{"id": "a", "func": "tests.jobs.test_runner:ok_job", "every": 0}], "positive"),
        ([{"id": "a", "func": "tests.jobs.test_runner:ok_job", "cron": {"hour": 25}}], "25"),
        ([TABLE[0], TABLE[0]], "not unique"),
    ],
)
def test_a_bad_table_row_is_refused(app, table, message):
    with pytest.raises((runner.TableError, ValueError), match=message):
        runner.load_table(jobs_settings(app), table)


@pytest.mark.settings({"jobs": {"disabled": ["no.such.job"]}})
def test_configuration_naming_an_unknown_job_is_refused(app):
    with pytest.raises(runner.TableError, match="no.such.job"):
        runner.load_table(jobs_settings(app), TABLE)


@pytest.mark.settings({"jobs": {"threads": 2, "misfire_grace_seconds": 45}})
def test_the_scheduler_coalesces_runs_one_instance_and_has_a_misfire_grace(app):
    scheduler = runner.build_scheduler(app, runner.load_table(jobs_settings(app), TABLE), jobs_settings(app))
    jobs = {job.id: job for job in scheduler.get_jobs()}  # not started: BlockingScheduler.start() blocks
    assert set(jobs) == {"t.ok", "t.broken", "t.monthly"}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 45)
    assert isinstance(jobs["t.ok"].trigger, IntervalTrigger)
    assert isinstance(jobs["t.monthly"].trigger, CronTrigger)
    assert str(jobs["t.monthly"].trigger.timezone) == "Asia/Shanghai"
    # Interval jobs run at start-up; cron jobs wait for their time.
    assert jobs["t.ok"].next_run_time is not None
    assert scheduler._executors["default"]._pool._max_workers == 2


def test_a_job_run_is_recorded_and_a_failure_does_not_escape(app):
    CALLS.clear()
    specs = {spec.id: spec for spec in runner.load_table(jobs_settings(app), TABLE)}
    assert runner.run_job(app, specs["t.ok"]) == "done"
    assert runner.run_job(app, specs["t.broken"]) is None
    assert CALLS == ["ok"]
    with db.connection_context():
        ok = JobRun.get(JobRun.job_id == "t.ok")
        broken = JobRun.get(JobRun.job_id == "t.broken")
    assert (ok.runs, ok.last_ok, ok.failures) == (1, True, 0)
    assert (broken.runs, broken.last_ok, broken.failures) == (1, False, 1)
    assert broken.last_error == "RuntimeError: boom"


def test_the_lock_admits_one_holder_at_a_time(app):
    url = app.config["SETTINGS"].database.url
    first, second = SchedulerLock.for_url(url), SchedulerLock.for_url(url)
    assert first.try_acquire()
    try:
        assert first.alive()
        assert not second.try_acquire()
    finally:
        first.release()
    assert second.try_acquire()
    second.release()


def test_operator_commands_list_and_run_once(app, runner):
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0
    assert "scheduler: not running" in listed.output
    assert "upstream.push" in listed.output and "never run" in listed.output
    once = runner.invoke(args=["jobs", "run-once", "upstream.push"])
    assert once.exit_code == 0 and "{'enabled': False}" in once.output
    assert runner.invoke(args=["jobs", "run-once", "no.such"]).exit_code == 2


def test_staff_see_each_jobs_last_run_and_whether_it_is_late(app):
    from core import clock
    from jobs.status import job_runs

    specs = {spec.id: spec for spec in runner.load_table(jobs_settings(app))}
    runner.run_job(app, specs["upstream.push"])
    with app.app_context(), db.connection_context():
        entries = {entry["id"]: entry for entry in job_runs()}
        assert entries["upstream.push"]["ok"] is True and entries["upstream.push"]["late"] is False
        assert entries["upstream.reconcile"]["runs"] == 0 and entries["upstream.reconcile"]["late"] is False
        clock.freeze(clock.now().replace(hour=11))
        assert {entry["id"]: entry for entry in job_runs()}["upstream.push"]["late"] is True


def test_a_tick_skipped_while_the_previous_run_drains_is_not_logged_as_a_warning(caplog):
    """A job that outlasts its interval (the upstream push on a backlog) gets its ticks skipped
    by APScheduler; the runner keeps that out of the log, and nothing else."""
    import threading
    import time

    from apscheduler.schedulers.background import BackgroundScheduler

    def skipped_warnings(filtered: bool) -> list:
        caplog.clear()
        logger = logging.getLogger("apscheduler.scheduler")
        if filtered:
            logger.addFilter(runner.not_a_skipped_tick)
        done = threading.Event()
        scheduler = BackgroundScheduler()
        scheduler.add_job(lambda: (time.sleep(2.5), done.set()), "interval", seconds=1, max_instances=1, coalesce=True)
        try:
            scheduler.start()
            assert done.wait(10)
        finally:
            scheduler.shutdown(wait=True)
            logger.removeFilter(runner.not_a_skipped_tick)
        return [r for r in caplog.records if r.levelno == logging.WARNING and "skipped" in r.getMessage()]

    caplog.set_level(logging.WARNING, logger="apscheduler")
    assert skipped_warnings(filtered=False)  # APScheduler does warn …
    assert skipped_warnings(filtered=True) == []  # … and the runner's filter drops exactly that
    other = logging.LogRecord("apscheduler.scheduler", logging.WARNING, __file__, 1, "Run time missed", (), None)
    assert runner.not_a_skipped_tick(other)


def test_every_job_has_a_chinese_name_and_schedule(app):
    specs = {spec.id: spec for spec in runner.load_table(jobs_settings(app))}
    assert set(NAMES) == set(specs)
    assert specs["tickets.remind"].describe_zh() == "每15分钟"
    assert specs["sms.send"].describe_zh() == "每5秒"
    assert specs["tickets.followups"].describe_zh() == "每小时"
    assert specs["tickets.deadlines"].describe_zh() == "每天 06:10"
    assert runner.JobSpec("t", "f", every=86400).describe_zh() == "每天"
    assert runner.JobSpec("t", "f", cron={"day": 25, "hour": 9}).describe_zh() == "定时：日 25，时 9"
