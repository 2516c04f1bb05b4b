"""`flask --app app jobs …`: the scheduler process and operator commands."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from core.config import current_settings
from models import JobRun
from models import db

from . import runner
from .lock import SchedulerLock

jobs_cli = AppGroup("jobs", help="The scheduler process and its job table.")


@jobs_cli.command("run")
def run_command():
    """Run the scheduler (one per deployment; a second one waits idle)."""
    sys.exit(runner.run(current_app._get_current_object()))


@jobs_cli.command("list")
def list_command():
    """The job table, with each job's last run."""
    settings = current_settings()
    specs = runner.load_table(settings.jobs)
    with db.connection_context():
        runs = {row.job_id: row for row in JobRun.select()}
    lock = SchedulerLock.for_url(settings.database.url)
    if lock.try_acquire():
        lock.release()
        click.echo("scheduler: not running")
    else:
        click.echo("scheduler: running (lock held)")
    for spec in specs:
        row = runs.get(spec.id)
        last = "never run"
        if row is not None and row.last_started_at:
            outcome = "ok" if row.last_ok else f"FAILED: {row.last_error or ''}"
            last = f"last {row.last_started_at:%Y-%m-%d %H:%M:%S} {outcome}"
        click.echo(f"{spec.id:28} {spec.describe():22} {spec.func:40} {last}")


@jobs_cli.command("run-once")
@click.argument("job_id")
def run_once_command(job_id):
    """Run one job now, in the foreground (jobs are safe to run twice)."""
    specs = {spec.id: spec for spec in runner.load_table(current_settings().jobs)}
    if job_id not in specs:
        raise click.UsageError(f"unknown or disabled job {job_id!r}; see `flask jobs list`")
    spec = specs[job_id]
    func = runner.resolve(spec.func)
    result = func(interval=spec.every) if spec.pass_interval else func()
    click.echo(f"{job_id}: {result}")
