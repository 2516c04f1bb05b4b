"""In-app notifications for staff: reminders, escalations, new tickets.

Addressed to a department's users or, with no department, to the bureau. The
unique `dedupe_key` makes a job that runs twice notify once.
"""

from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import TextField

from core import clock

from .access import User
from .db import BaseModel
from .db import insert_model
from .org import Department

NOTIFICATION_KINDS = {
    "ticket.new": "新差评工单",
    "ticket.reminder": "整改即将到期",
    "ticket.overdue": "整改已超期",
    "ticket.escalated": "差评升级督办",
    "ticket.followup_call": "回访待电话联系",
    "ticket.appeal": "申诉待审核",
    "ticket.extension": "延期待审批",
    "calendar.uncovered": "节假日日历待更新",
    "month.reminder": "月度数据待报送",
    "month.submitted": "单位已报送",
    "month.closed": "月度数据已关闭",
}


class Notification(BaseModel):
    # None: for the bureau (区行政审批局).
    department = ForeignKeyField(Department, null=True, backref="notifications", on_delete="CASCADE")
    # A named recipient (the assignee), else everyone of the department.
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    kind = CharField(max_length=32)
    # What it is about, e.g. "ticket:<id>"; links the admin to the page.
    ref = CharField(max_length=64, default="")
    text = TextField()
    dedupe_key = CharField(max_length=128, unique=True)
    created_at = DateTimeField(default=clock.now, index=True)
    read_at = DateTimeField(null=True)

    @classmethod
    def put(cls, dedupe_key: str, kind: str, text: str, department=None, user=None, ref: str = "") -> None:
        """Notify once; a second put with the same key changes nothing."""
        row = cls(department=department, user=user, kind=kind, ref=ref, text=text, dedupe_key=dedupe_key)
        insert_model(row, True, defer=True)  # sent with the transaction's next statement (PostgreSQL)

    @classmethod
    def for_user(cls, user):
        """What a staff member sees: their department's (bureau users: the bureau's) notifications."""
        if user.role == "auditor":
            audience = cls.department.is_null()
        elif user.role == "bureau":
            # The bureau's own department also handles tickets (its halls).
            audience = cls.department.is_null() | (cls.department == user.department_id)
        else:
            audience = (cls.department == user.department_id) & (cls.user.is_null() | (cls.user == user))
        return cls.select().where(audience).order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def unread_for(cls, user):
        return cls.for_user(user).where(cls.read_at.is_null())

    def mark_read(self) -> None:
        if self.read_at is None:
            self.read_at = clock.now()
            self.save(only=[Notification.read_at])
