"""Bad-review tickets (差评工单): opened by the rating core for every 差评.

This is the minimal row; the rectification workflow (verify, rectify,
ledger, appeal, reply, 回访) builds on it.
"""

from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import TextField

from core import clock

from .case import Case
from .db import BaseModel
from .org import Department
from .rating import Rating

TICKET_STATES = {
    "new": "待核实",
    "verifying": "核实中",
    "rectifying": "整改中",
    "rectified": "已整改",
    "explained": "已解释说明",
    "appeal": "申诉审核中",
    "replied": "已反馈",
    "followed_up": "已回访",
    "closed": "已销号",
}


class Ticket(BaseModel):
    ticket_no = CharField(max_length=24, unique=True)
    rating = ForeignKeyField(Rating, backref="tickets", unique=True, on_delete="RESTRICT")
    case = ForeignKeyField(Case, null=True, on_delete="SET NULL")
    # 谁办理、谁负责: the department that handled the case.
    department = ForeignKeyField(Department, backref="tickets", on_delete="RESTRICT")
    state = CharField(max_length=16, default="new", index=True)
    due_at = DateTimeField()
    # The department's answer to the citizen (差评件件有反馈) and when it left.
    reply_text = TextField(null=True)
    replied_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)

    @classmethod
    def by_no(cls, ticket_no: str):
        return cls.get_or_none(cls.ticket_no == ticket_no)

    @classmethod
    def for_rating(cls, rating):
        return cls.get_or_none(cls.rating == rating)
