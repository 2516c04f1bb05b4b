"""`flask --app app seed-demo` and `demo-users`: the Huyi district demo."""

import click
from flask.cli import with_appcontext

from models import Department
from models import db
from models.migrate import migrate

from .seed import seed_demo
from .tickets import work_demo_tickets
from .users import demo_users_command
from .users import ensure_demo_users

__all__ = ["demo_users_command", "seed_demo_command"]


@click.command("seed-demo")
@with_appcontext
@click.option("--months", default=6, show_default=True, help="Months of cases and ratings to generate.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (the same seed gives the same data).")
def seed_demo_command(months, seed):
    """Load the Huyi district demo: units, items, labels, cases and ratings."""
    migrate()
    with db.connection_context():
        fresh = not Department.select().exists()
        summary = seed_demo(months=months, seed=seed)
        demo_users = ensure_demo_users()
        if fresh:
            summary += f" Worked {work_demo_tickets(seed)} bad-review tickets through the rectification workflow."
    click.echo(summary)
    for line in demo_users:
        click.echo(line)
