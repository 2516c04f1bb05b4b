"""Who may do what: department API keys and staff users."""

import hashlib
import hmac
import secrets

from peewee import BooleanField
from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from core import clock

from .db import BaseModel
from .org import Department

ROLES = {
    "bureau": "区行政审批局",
    "dept_admin": "部门管理员",
    "dept_staff": "部门工作人员",
    "auditor": "审计（只读）",
}
DEPARTMENT_ROLES = ("dept_admin", "dept_staff")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(BaseModel):
    """A business system's key; it writes only its own department's cases.

    The key reads `hcp_<prefix>_<secret>`; only a hash of the secret is kept,
    and the prefix finds the row without scanning. A bureau key (`bureau`,
    issued to the bureau's department) also keys in the ratings no department
    may key in for itself — paper forms and the 12345 hotline's phone ratings —
    for every department (`models.rating.KEY_CHANNELS`).
    """

    department = ForeignKeyField(Department, backref="api_keys", on_delete="RESTRICT")
    bureau = BooleanField(default=False)
    prefix = CharField(max_length=16, unique=True)
    secret_hash = CharField(max_length=64)
    label = CharField(max_length=100, default="")
    created_at = DateTimeField(default=clock.now)
    revoked_at = DateTimeField(null=True)
    last_used_at = DateTimeField(null=True)

    @classmethod
    def issue(cls, department, label: str = "", bureau: bool = False) -> tuple["ApiKey", str]:
        """Create a key; returns the row and the full key, shown only once."""
        if bureau and not department.is_bureau:
            raise ValueError("a bureau key belongs to the bureau's department")
        prefix = secrets.token_hex(4)
        secret = secrets.token_urlsafe(24)
        row = cls.create(department=department, prefix=prefix, secret_hash=_digest(secret), label=label, bureau=bureau)
        return row, f"hcp_{prefix}_{secret}"

    @classmethod
    def authenticate(cls, presented: str):
        """The active key matching `presented`, or None."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "hcp":
            return None
        row = cls.get_or_none((cls.prefix == parts[1]) & cls.revoked_at.is_null())
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(parts[2])):
            return None
        return row


class User(BaseModel):
    """A staff member who logs in to the admin."""

    username = CharField(max_length=64, unique=True)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16)
    department = ForeignKeyField(Department, backref="users", null=True, on_delete="RESTRICT")
    display_name = CharField(max_length=50, default="")
    active = BooleanField(default=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    last_login_at = DateTimeField(null=True)

    @classmethod
    def by_username(cls, username: str):
        return cls.get_or_none(cls.username == username)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
