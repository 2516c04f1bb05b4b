"""`flask --app app sms …`: run the bot's jobs by hand and look at its state
(the scheduler process runs the same functions from jobs/table.py)."""

import click
from flask.cli import AppGroup

from models import db

from . import queries
from .jobs import process_inbox
from .jobs import reconcile_receipts
from .jobs import send_due
from .jobs import sweep_invitations

sms_cli = AppGroup("sms", help="The SMS bot: run its jobs once, look at its invitations.")


@sms_cli.command("tick")
def tick_command():
    """Run the SMS jobs once: callbacks, reminders, sending, missing receipts."""
    click.echo(f"inbox: {process_inbox()}")
    click.echo(f"sweep: {sweep_invitations()}")
    click.echo(f"send:  {send_due()}")
    click.echo(f"receipts: {reconcile_receipts()}")


@sms_cli.command("status")
@click.option("--state", help="List the invitations in this state.")
@click.option("--limit", default=20, show_default=True)
def status_command(state, limit):
    """Invitation counts by state, and the latest invitations (phones masked)."""
    with db.connection_context():
        click.echo(f"invitations: {queries.state_counts()}")
        click.echo(f"callbacks:   {queries.inbox_counts()}")
        for row in queries.listing(state=state, limit=limit):
            reason = row["error_message"] or row["waiting_reason"] or ""
            click.echo(f"{row['id']:>6} {row['case_no']:<24} {row['phone']} {row['state']:<10} {reason}")
