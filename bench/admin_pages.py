"""`python -m bench.admin_pages`: how fast every admin page answers on the current database.

It signs a session for an existing user (nothing is written) and requests each
page a few times through the WSGI app, printing the median and the slowest.
"""

import statistics
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from core import clock
from models import Rating
from models import StaffSession
from models import Ticket
from models import User
from models import Window
from models import db

PAGES = (
    "/admin/",
    "/admin/?rank=window",
    "/admin/?rank=staff",
    "/admin/?rank=item",
    "/admin/tickets",
    "/admin/tickets?state=overdue",
    "/admin/tickets/{ticket}",
    "/admin/master/department",
    "/admin/master/window",
    "/admin/master/staff",
    "/admin/master/item",
    "/admin/master/window/{window}",
    "/admin/users",
    "/admin/labels",
    "/admin/reports?month={month}",
    "/admin/reports/monthly.xlsx?month={month}",
    "/admin/imports",
    "/admin/audit",
    "/public/results",
)


@click.command("admin-bench")
@click.option("--user", "username", default="bureau", show_default=True, help="An existing staff user.")
@click.option("--rounds", default=5, show_default=True)
@with_appcontext
def admin_bench_command(username, rounds):
    """Time every admin page (median and max, in ms) as USER."""
    with db.connection_context():
        user = User.by_username(username)
        if user is None:
            raise click.UsageError(f"no user {username!r}: run `flask seed-demo` or `flask create-user` first")
        ticket = Ticket.select(Ticket.id).order_by(Ticket.id.desc()).first()
        window = Window.select(Window.id).first()
        newest = Rating.select(Rating.created_at).order_by(Rating.created_at.desc()).first()
    month = (newest.created_at if newest else clock.now()).strftime("%Y-%m")
    client = current_app.test_client()
    with db.connection_context():
        token = StaffSession.start(user, current_app.config["SETTINGS"].admin.session_hours)
    with client.session_transaction() as session:
        session["sid"] = token
    slowest = 0.0
    for template in PAGES:
        url = template.format(ticket=ticket.id if ticket else 0, window=window.id if window else 0, month=month)
        times, status = [], None
        for _ in range(rounds):
            start = time.perf_counter()
            status = client.get(url).status_code
            times.append((time.perf_counter() - start) * 1000)
        slowest = max(slowest, max(times))
        click.echo(f"{status}  median {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms  {url}")
    click.echo(f"slowest request: {slowest:.1f} ms")


def main() -> None:
    """`python -m bench.admin_pages [--user NAME] [--rounds N]` with the product's configuration."""
    from app import create_app

    with create_app().app_context():
        admin_bench_command()  # click parses sys.argv


if __name__ == "__main__":
    main()
