"""Operator commands: `flask --app app <command>`."""

import getpass

import click
from flask.cli import with_appcontext

from core.passwords import password_problem
from models import ROLES
from models import ApiKey
from models import AuditLog
from models import Department
from models import User
from models import db
from models.access import DEPARTMENT_ROLES
from models.migrate import migrate

MIN_PASSWORD = 10


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create or upgrade the schema (applies pending migrations)."""
    applied = migrate()
    click.echo(f"Applied {len(applied)} migration(s): {', '.join(applied)}" if applied else "Schema is up to date.")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
@click.option("--dept", "dept_code", help="Department code (required for department roles).")
@click.option("--password", help="Prompted for when omitted.")
def create_user_command(username, role, dept_code, password):
    """Create a staff user for the admin page."""
    with db.connection_context():
        department = None
        if role in DEPARTMENT_ROLES:
            if not dept_code:
                raise click.UsageError(f"--dept is required for role {role}")
            department = Department.by_code(dept_code)
            if department is None:
                raise click.UsageError(f"unknown department {dept_code!r}")
        if User.by_username(username) is not None:
            raise click.UsageError(f"user {username!r} already exists")
        if password is None:
            password = getpass.getpass("Password: ")
        problem = password_problem(password, username)
        if len(password) < MIN_PASSWORD:
            raise click.UsageError(f"the password must have at least {MIN_PASSWORD} characters")
        if problem:
            raise click.UsageError(f"password refused: {problem}")
        with db.atomic():
            user = User(username=username, role=role, department=department)
            user.set_password(password)
            user.save()
            AuditLog.record("cli", "user.create", f"user:{username}", role=role, dept=dept_code)
    click.echo(f"Created user {username} ({role}{', ' + dept_code if department else ''}).")


@click.command("create-api-key")
@with_appcontext
@click.option("--dept", "dept_code", help="The department whose cases the key may write.")
@click.option(
    "--bureau",
    is_flag=True,
    help="A bureau key: also keys in paper-form and 12345 phone ratings, for every department.",
)
@click.option("--label", default="", help="What system holds the key.")
def create_api_key_command(dept_code, bureau, label):
    """Issue a department (--dept) or bureau (--bureau) API key; the key is printed alone on the last line."""
    if bool(dept_code) == bureau:
        raise click.UsageError("give either --dept CODE or --bureau")
    with db.connection_context():
        if bureau:
            department = Department.select().where(Department.is_bureau).order_by(Department.id).first()
            if department is None:
                raise click.UsageError("no bureau department (is_bureau) in the master data: import it first")
        else:
            department = Department.by_code(dept_code)
            if department is None:
                raise click.UsageError(f"unknown department {dept_code!r}")
        with db.atomic():
            row, key = ApiKey.issue(department, label, bureau=bureau)
            AuditLog.record(
                "cli", "api_key.create", f"api_key:{row.prefix}", dept=department.code, label=label, bureau=bureau
            )
    kind = "Bureau API key" if bureau else "API key"
    click.echo(f"{kind} for {department.name} ({department.code}), shown once:")
    click.echo(key)
