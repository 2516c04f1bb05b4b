"""Demo staff users, one per role, with random passwords printed once.

`flask seed-demo` creates them when none of them exists yet;
`bin/flask demo-users --reset` gives them new passwords. No password is ever
stored in the repository.
"""

import secrets

import click
from flask.cli import with_appcontext

from core.config import current_settings
from models import AuditLog
from models import Department
from models import User
from models import db

DEMO_USERS = (
    ("bureau", "bureau", "SPJ", "审批局管理员"),
    ("gaj_admin", "dept_admin", "GAJ", "公安分局管理员"),
    ("gaj_staff", "dept_staff", "GAJ", "公安分局工作人员"),
    # The police department's business contact (业务联系人): confirms its monthly submission.
    ("gaj_contact", "dept_staff", "GAJ", "公安分局业务联系人"),
    ("auditor", "auditor", None, "审计员"),
)


def ensure_demo_users(reset: bool = False) -> list[str]:
    """Create (or with `reset`, re-password) the demo users; returns lines to print."""
    if not reset and User.select().where(User.username.in_([u[0] for u in DEMO_USERS])).exists():
        return ["Staff users already exist; `bin/flask demo-users --reset` gives the demo users new passwords."]
    login = current_settings().app.base_url.rstrip("/") + "/admin/login"
    lines = [f"Demo staff users for {login} (passwords shown once):"]
    with db.atomic():
        for username, role, dept_code, name in DEMO_USERS:
            department = Department.by_code(dept_code) if dept_code else None
            if dept_code and department is None:
                continue
            password = secrets.token_urlsafe(9)
            user = User.by_username(username) or User(username=username, role=role, department=department)
            user.display_name = name
            user.active, user.failed_logins, user.locked_until = True, 0, None
            user.set_password(password)
            user.save()
            AuditLog.record("cli", "user.demo_password", f"user:{username}", role=role)
            lines.append(f"  {username:<10} {role:<10} {password}")
    return lines


@click.command("demo-users")
@click.option("--reset", is_flag=True, help="Give the demo users new passwords.")
@with_appcontext
def demo_users_command(reset):
    """Create the demo staff users (one per role) and print their passwords once."""
    with db.connection_context():
        for line in ensure_demo_users(reset=reset):
            click.echo(line)
