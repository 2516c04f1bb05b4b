"""The bureau's month: each unit's business contact, its monthly submission (报送)
and the frozen report of a closed month.

The seed: every unit names a 业务联系人 who hands in the unit's 好差评 data to the
bureau by the 30th of each month; the bureau then summarises the month. The
figures of a closed month are kept as a versioned snapshot (`MonthReport.data`,
JSON) that the xlsx, the public page and the open data serve from then on.
"""

import json

from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField

from core import clock

from .access import User
from .db import BaseModel
from .org import Department
from .pii import EncryptedField

SUBMISSION_VIA = {"admin": "管理后台确认", "paper": "纸质评价表导入"}


class BusinessContact(BaseModel):
    """A unit's 业务联系人: personal data, encrypted at rest and masked for staff.

    `user` is the contact's own admin account, when they have one: it may confirm
    the unit's submission like the unit's dept_admin."""

    department = ForeignKeyField(Department, unique=True, backref="contacts", on_delete="CASCADE")
    # Personal data (PIPL): encrypted (models/pii.py), masked by role, never logged.
    name = EncryptedField(null=True)
    phone = EncryptedField(null=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=clock.now)

    @classmethod
    def of(cls, department_id):
        return cls.get_or_none(cls.department == department_id)

    @classmethod
    def by_department(cls) -> dict:
        return {row.department_id: row for row in cls.select()}


class MonthSubmission(BaseModel):
    """A unit's confirmation that its data of `month` is complete (报送), once per unit and month."""

    department = ForeignKeyField(Department, backref="submissions", on_delete="CASCADE")
    month = CharField(max_length=7)
    via = CharField(max_length=8, default="admin")
    submitted_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    comment = TextField(null=True)
    submitted_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("department", "month"), True), (("month",), False))

    @classmethod
    def of_month(cls, month: str) -> dict:
        """{department id: submission} of `month`."""
        return {row.department_id: row for row in cls.select().where(cls.month == month)}

    @classmethod
    def find(cls, department_id, month: str):
        return cls.get_or_none((cls.department == department_id) & (cls.month == month))


class MonthReport(BaseModel):
    """The frozen figures of a closed month; a re-issue adds a version, never rewrites one."""

    month = CharField(max_length=7)
    version = IntegerField(default=1)
    closed_at = DateTimeField(default=clock.now)
    # "scheduler", "cli", "user:<name>", "demo".
    closed_by = CharField(max_length=80)
    data = TextField()

    class Meta:
        indexes = ((("month", "version"), True),)

    @property
    def figures(self) -> dict:
        return json.loads(self.data or MonthReport.data_of(self.id))

    @classmethod
    def latest(cls, month: str):
        """The month's latest version, without its data (large; `figures.snapshot` reads it by id, once)."""
        fields = (cls.id, cls.month, cls.version, cls.closed_at, cls.closed_by)
        return cls.select(*fields).where(cls.month == month).order_by(cls.version.desc()).first()

    @classmethod
    def closed_months(cls) -> dict:
        """{month: its latest version}, for every closed month."""
        latest: dict = {}
        for row in cls.select(cls.id, cls.month, cls.version, cls.closed_at).order_by(cls.month, cls.version):
            latest[row.month] = row
        return latest

    @classmethod
    def data_of(cls, report_id: int) -> str:
        return cls.select(cls.data).where(cls.id == report_id).scalar()

    @classmethod
    def closed_after(cls, at):
        """Every version closed after `at`, oldest first, without its data (read it by id, once)."""
        fields = (cls.id, cls.month, cls.version, cls.closed_at)
        return cls.select(*fields).where(cls.closed_at > at).order_by(cls.closed_at, cls.id)
