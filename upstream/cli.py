"""`flask --app app upstream …`: the push queue for operators."""

import datetime as dt

import click
from flask.cli import AppGroup

from core import clock
from models import db

from . import status
from .client import Client
from .push import current_profile
from .push import push_due
from .reconcile import reconcile_day

upstream_cli = AppGroup("upstream", help="The push of ratings to the city 好差评 system.")


@upstream_cli.command("status")
def status_command():
    """Backlog, rejected ratings and the last reconciliation."""
    with db.connection_context():
        info = status.backlog()
        click.echo(
            f"enabled={info['enabled']} pending={info['pending']} retrying={info['retrying']} "
            f"accepted={info['accepted']} rejected={info['rejected']} oldest={info['oldest_pending_at'] or '-'}"
        )
        if info["last_error"]:
            click.echo(f"last error: {info['last_error']}")
        for failure in status.failures(limit=20):
            click.echo(f"rejected rating {failure['rating_id']} ({failure['eval_id']}): {failure['reason']}")
        last = status.last_reconciliation()
        if last is not None:
            click.echo(
                f"reconciliation {last.day} at {last.ran_at}: {last.state} local={last.local_count} "
                f"city={last.city_count} missing={last.missing_count} unknown={last.unknown_count} {last.error or ''}"
            )


@upstream_cli.command("push")
def push_command():
    """Push what is due now."""
    click.echo(push_due())


@upstream_cli.command("retry")
@click.option("--rating", "rating_ids", type=int, multiple=True, help="Only these ratings (repeatable).")
def retry_command(rating_ids):
    """Queue rejected ratings again after their correction (all rejected ones by default)."""
    with db.connection_context():
        count = status.retry_rejected("cli", list(rating_ids) or None)
    click.echo(f"{count} rating(s) queued again.")


@upstream_cli.command("reconcile")
@click.option("--date", "day", help="YYYY-MM-DD (default: yesterday).")
def reconcile_command(day):
    """Compare one day with the city system and queue what it misses (补报)."""
    try:
        when = dt.date.fromisoformat(day) if day else clock.today() - dt.timedelta(days=1)
    except ValueError:
        raise click.UsageError("--date must be YYYY-MM-DD") from None
    profile = current_profile()
    with db.connection_context():
        result = reconcile_day(when, profile, Client(profile))
    click.echo(
        f"{result.day}: {result.state} local={result.local_count} city={result.city_count} "
        f"missing={result.missing_count} unknown={result.unknown_count} {result.error or ''}"
    )
