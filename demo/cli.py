"""`flask --app app seed-demo` and `demo-users`: the Huyi district demo."""

import click
from flask.cli import with_appcontext

from models import db
from models.migrate import migrate

from .seed import seed_demo
from .users import demo_users_command

__all__ = ["demo_users_command", "seed_demo_command"]


@click.command("seed-demo")
@with_appcontext
@click.option("--months", default=6, show_default=True, help="Months of history before the current one.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (the same seed gives the same data).")
def seed_demo_command(months, seed):
    """Load the Huyi district demo: units, items, labels, contacts, cases, ratings, tickets, closed months."""
    migrate()
    with db.connection_context():
        summary, demo_users = seed_demo(months=months, seed=seed)
    click.echo(summary)
    for line in demo_users:
        click.echo(line)
