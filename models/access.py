"""Who may do what: department API keys, staff users and their admin sessions."""

import datetime as dt
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

    def save(self, force_insert=False, only=None):
        # A new password, role, department or a deactivation ends every session of the
        # user, whichever code path made the change (a password change starts a new one).
        changed = {f.name if hasattr(f, "name") else f for f in only} if only else set(self._dirty)
        result = super().save(force_insert=force_insert, only=only)
        if self.id is not None and changed & SESSION_ENDING:
            StaffSession.end_all(self.id)
        return result

    @classmethod
    def claim_attempt(cls, user_id: int, max_failed: int, now) -> bool:
        """Take one of the `max_failed` password checks the account allows before it locks:
        one atomic UPDATE, so that concurrent wrong passwords never get more checks than
        that. False while the account is locked or its checks are spent."""
        claimed = (
            cls.update(failed_logins=cls.failed_logins + 1)
            .where(
                (cls.id == user_id)
                & (cls.failed_logins < max_failed)
                & (cls.locked_until.is_null() | (cls.locked_until <= now))
            )
            .execute()
        )
        return claimed == 1


SESSION_ENDING = {"password_hash", "role", "department", "active"}


class StaffSession(BaseModel):
    """An admin session, kept on the server. The browser's cookie holds only a random
    token; its hash is stored here, so that logging out ends every copy of the cookie
    and no cookie carries anything of the user (an id, a password hash)."""

    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField(index=True)

    @classmethod
    def start(cls, user: User, hours: int) -> str:
        """A new session of `hours`; returns the token for the cookie (shown nowhere else)."""
        now = clock.now()
        cls.delete().where(cls.expires_at <= now).execute()  # the expired ones of anyone
        token = secrets.token_urlsafe(32)
        cls.create(user=user, token_hash=_digest(token), created_at=now, expires_at=now + dt.timedelta(hours=hours))
        return token

    @classmethod
    def user_for(cls, token) -> User | None:
        """The active user of an unexpired session, or None."""
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        row = (
            cls.select(cls, User)
            .join(User)
            .where((cls.token_hash == _digest(token)) & (cls.expires_at > clock.now()) & User.active)
            .first()
        )
        return row.user if row is not None else None

    @classmethod
    def end(cls, token) -> None:
        if isinstance(token, str):
            cls.delete().where(cls.token_hash == _digest(token)).execute()

    @classmethod
    def end_all(cls, user_id: int) -> int:
        return cls.delete().where(cls.user == user_id).execute()
