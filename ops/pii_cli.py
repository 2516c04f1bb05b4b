"""`flask --app app pii …`: keys, rotation and the retention purge of personal data."""

import re

import click
from flask import current_app
from flask.cli import AppGroup

from core.config import current_settings
from core.crypto import keyring
from core.crypto import new_key
from models import AuditLog
from models import db

from . import pii_keys
from . import retention

pii_cli = AppGroup("pii", help="Personal data at rest: encryption keys, rotation, retention purge.")


@pii_cli.command("new-key")
@click.option("--id", "key_id", default=None, help="Key id (1–16 letters, digits, - or _); default kYYYYMMDD.")
def new_key_command(key_id):
    """Print a new encryption key for HCP_PII_KEYS (and a lookup key). Nothing is stored."""
    from core import clock

    key_id = key_id or f"k{clock.today():%Y%m%d}"
    if not re.match(r"^[A-Za-z0-9_\-]{1,16}$", key_id):
        raise click.UsageError("--id: 1–16 letters, digits, - or _")
    click.echo(f"encryption key (first in HCP_PII_KEYS): {key_id}:{new_key()}")
    click.echo(f"lookup key (HCP_PII_LOOKUP_KEY, only for a new installation or `pii rehash`): {new_key()}")


@pii_cli.command("status")
def status_command():
    """How many stored values each key holds (a key holding none may be dropped)."""
    current = keyring().current
    with db.connection_context():
        counts = pii_keys.status()
    click.echo(f"current key: {current}; retention: {current_app.config['SETTINGS'].pii.retention_days} days")
    for column, by_key in counts.items():
        listed = ", ".join(f"{kid}={n}" for kid, n in sorted(by_key.items())) or "-"
        click.echo(f"{column:<30} {listed}")


@pii_cli.command("rotate")
@click.option("--batch", default=pii_keys.BATCH, show_default=True, help="Rows per transaction.")
def rotate_command(batch):
    """Re-encrypt every value under the current (first) key. Safe to re-run."""
    with db.connection_context():
        done = pii_keys.rotate(batch)
        AuditLog.record("cli", "personal_data.rotate", f"key:{keyring().current}", **done)
    click.echo(f"re-encrypted under {keyring().current}: {_counts(done)}")


@pii_cli.command("rehash")
@click.option("--batch", default=pii_keys.BATCH, show_default=True, help="Rows per transaction.")
def rehash_command(batch):
    """Recompute the lookup hashes under the configured lookup key (after changing it)."""
    with db.connection_context():
        done = pii_keys.rehash(batch)
        AuditLog.record("cli", "personal_data.rehash", "", **done)
    click.echo(f"rehashed: {_counts(done)}")


@pii_cli.command("purge")
def purge_command():
    """Clear personal data older than pii.retention_days now (the daily job does the same)."""
    days = current_settings().pii.retention_days
    with db.connection_context():
        done = retention.purge(days)
    click.echo(f"purged (older than {days} days): {_counts(done)}")


def _counts(done: dict) -> str:
    return ", ".join(f"{name}={n}" for name, n in sorted(done.items()) if n) or "nothing to do"
