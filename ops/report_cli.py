"""`flask report monthly --month YYYY-MM [--dept CODE] [--out FILE]` and
`flask report close --month YYYY-MM [--reissue]`."""

import click
from flask.cli import AppGroup

from core import clock
from figures import monthly
from figures import period
from figures import snapshot
from figures.ratings import month_range
from models import AuditLog
from models import Department
from models import db

report = AppGroup("report", help="Reports for the bureau.")


@report.command("monthly")
@click.option("--month", help="YYYY-MM; default: last month.")
@click.option("--dept", "dept_code", help="One department's report; default: district-wide.")
@click.option("--out", "out", help="Output file; default: 好差评月报-<month>[-<dept>].xlsx here.")
def monthly_command(month, dept_code, out):
    """Write the monthly xlsx report."""
    if month is None:
        first = clock.today().replace(day=1)
        month = f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"
    try:
        month_range(month)
    except ValueError:
        raise click.UsageError(f"--month must be YYYY-MM, not {month!r}") from None
    with db.connection_context():
        department = None
        if dept_code:
            department = Department.by_code(dept_code)
            if department is None:
                raise click.UsageError(f"unknown department {dept_code!r}")
        data = monthly.build(month, department)
        AuditLog.record("cli", "report.export", f"report:{month}", dept=dept_code)
    path = out or monthly.filename(month, department)
    with open(path, "wb") as fh:
        fh.write(data)
    click.echo(f"Wrote {path}")


@report.command("close")
@click.option("--month", required=True, help="YYYY-MM: any month up to the current one.")
@click.option("--reissue", is_flag=True, help="Close an already closed month again, as a new version.")
def close_command(month, reissue):
    """Close a month: freeze its figures as a versioned report (the scheduler does it on the close day)."""
    parsed = period.parse_month(month)
    if parsed is None:
        raise click.UsageError(f"--month must be YYYY-MM, not {month!r}")
    if period.is_future(parsed):
        raise click.UsageError(f"{parsed} has not begun; only months up to {period.current_month()} can be closed")
    with db.connection_context():
        report, made = snapshot.close(parsed, "cli", reissue=reissue)
    when = f"{report.closed_at:%Y-%m-%d %H:%M}"
    if made:
        click.echo(f"Closed {parsed}: version {report.version}, frozen at {when} (Beijing time).")
    else:
        click.echo(f"{parsed} is already closed: version {report.version} at {when}; --reissue makes a new version.")
