"""Bad-review tickets (差评工单): opened by the rating core for every 差评.

The aggregate: the ticket, its history (`TicketEvent`, one row per
transition), its ledger items (`LedgerItem`, 台账 for complex cases) and the
departments' default assignees (`TicketContact`). The workflow rules live in
`rectification/workflow.py`; these are the rows and their named queries.
"""

import datetime as dt

from peewee import JOIN
from peewee import BooleanField
from peewee import CharField
from peewee import DateField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField

from core import clock
from core.crypto import phone_hash

from .access import User
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
# What the citizen who rated reads of the progress: plain words, no office jargon (销号, 申诉).
CITIZEN_STATES = {
    "new": "已受理",
    "verifying": "已受理",
    "appeal": "已受理",
    "rectifying": "整改中",
    "rectified": "整改中",
    "explained": "整改中",
    "replied": "已答复",
    "followed_up": "已办结",
    "closed": "已办结",
}
# The department still owes a resolution: these states run against `due_at`.
# An appeal waits for the bureau, so its clock is not the department's.
OPEN_STATES = ("new", "verifying", "rectifying")

# 回访 answers. Which of them are offered is configuration
# (`rectification.followup_scale`); "unreachable" records a 回访 that could not
# take place (no phone, nobody answered) and counts as not followed up.
FOLLOWUP_RESULTS = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "unsatisfied": "不满意",
    "unreachable": "无法回访",
}
FOLLOWUP_CHANNELS = {"sms": "短信回访", "phone": "电话回访", "none": "无联系方式"}


class Ticket(BaseModel):
    ticket_no = CharField(max_length=24, unique=True)
    rating = ForeignKeyField(Rating, backref="tickets", unique=True, on_delete="RESTRICT")
    case = ForeignKeyField(Case, null=True, on_delete="SET NULL")
    # 谁办理、谁负责: the department that handled the case.
    department = ForeignKeyField(Department, backref="tickets", on_delete="RESTRICT")
    state = CharField(max_length=16, default="new", index=True)
    due_at = DateTimeField()
    # The deadline was counted through a year the calendar does not cover yet;
    # the reminder job counts it again once the year is configured.
    due_provisional = BooleanField(default=False)
    # When the current deadline started to run (opening, or a reopening).
    due_from = DateTimeField(null=True)
    assignee = ForeignKeyField(User, null=True, backref="tickets", on_delete="SET NULL")
    verification_call_at = DateTimeField(null=True)
    on_the_spot = BooleanField(default=False)
    on_ledger = BooleanField(default=False)
    # 整改情况 or the explanation (no legal basis); the latest resolution.
    resolution_text = TextField(null=True)
    resolved_at = DateTimeField(null=True)
    # Where a rejected appeal returns to.
    appeal_from = CharField(max_length=16, null=True)
    # The department's answer to the citizen (差评件件有反馈) and when it left.
    reply_text = TextField(null=True)
    replied_at = DateTimeField(null=True)
    reply_count = IntegerField(default=0)
    followup_asked_at = DateTimeField(null=True)
    followup_result = CharField(max_length=24, null=True)
    followup_channel = CharField(max_length=8, null=True)
    followed_up_at = DateTimeField(null=True)
    reopen_count = IntegerField(default=0)
    escalated_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)

    @property
    def state_label(self) -> str:
        return TICKET_STATES.get(self.state, self.state)

    @property
    def citizen_state_label(self) -> str:
        return CITIZEN_STATES.get(self.state, "已受理")

    @property
    def is_overdue(self) -> bool:
        return self.state in OPEN_STATES and self.due_at < clock.now()

    @classmethod
    def by_no(cls, ticket_no: str):
        return cls.get_or_none(cls.ticket_no == ticket_no)

    @classmethod
    def for_rating(cls, rating):
        return cls.get_or_none(cls.rating == rating)

    @classmethod
    def queue(cls, department=None):
        """The tickets a department (or, with None, the bureau) works on, most urgent first."""
        query = cls.select().where(cls.state != "closed")
        if department is not None:
            query = query.where(cls.department == department)
        return query.order_by(cls.due_at, cls.id)

    @classmethod
    def appeals_pending(cls, department=None):
        """What the bureau has to decide."""
        query = cls.select().where(cls.state == "appeal")
        if department is not None:
            query = query.where(cls.department == department)
        return query.order_by(cls.updated_at, cls.id)

    @classmethod
    def due_within(cls, until: dt.datetime):
        """Open tickets not yet overdue whose deadline falls before `until`."""
        now = clock.now()
        return cls.select().where(cls.state.in_(OPEN_STATES) & (cls.due_at >= now) & (cls.due_at <= until))

    @classmethod
    def overdue(cls):
        return cls.select().where(cls.state.in_(OPEN_STATES) & (cls.due_at < clock.now()))

    @classmethod
    def awaiting_followup(cls, phone: str, since: dt.datetime):
        """The ticket an SMS 回访 answer from `phone` belongs to: the latest question asked after `since`."""
        return (
            cls.select()
            .join(Case, on=(cls.case == Case.id))
            .where(
                (Case.applicant_phone_hash == phone_hash(phone))
                & (cls.state == "replied")
                & cls.followup_asked_at.is_null(False)
                & (cls.followup_asked_at >= since)
                & (cls.followup_asked_at <= clock.now())
            )
            .order_by(cls.followup_asked_at.desc(), cls.id.desc())
            .first()
        )

    @classmethod
    def followup_unanswered(cls, asked_before: dt.datetime):
        """Replied tickets whose SMS 回访 question went unanswered: staff should phone."""
        return cls.select().where(
            (cls.state == "replied") & cls.followup_asked_at.is_null(False) & (cls.followup_asked_at < asked_before)
        )

    @classmethod
    def followup_queue(cls):
        """Replied tickets waiting for their 回访 (the bureau's 回访 queue), oldest reply first,
        with their rating, department and case (one query for the page)."""
        return (
            cls.select(cls, Rating, Department, Case)
            .join(Rating, on=(cls.rating == Rating.id))
            .switch(cls)
            .join(Department, on=(cls.department == Department.id))
            .switch(cls)
            .join(Case, JOIN.LEFT_OUTER, on=(cls.case == Case.id))
            .where(cls.state == "replied")
            .order_by(cls.replied_at, cls.id)
        )

    @classmethod
    def provisional_open(cls):
        return cls.select().where(cls.due_provisional & cls.state.in_(OPEN_STATES))


class TicketEvent(BaseModel):
    """One step of a ticket's history: who, when, what and why."""

    ticket = ForeignKeyField(Ticket, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=clock.now)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL")
    # "user:<username>", "system", "sms" (the citizen's answer).
    actor_ref = CharField(max_length=80)
    action = CharField(max_length=32)
    from_state = CharField(max_length=16, null=True)
    to_state = CharField(max_length=16, null=True)
    note = TextField(null=True)
    evidence = TextField(null=True)

    @classmethod
    def history(cls, ticket):
        return cls.select().where(cls.ticket == ticket).order_by(cls.at, cls.id)

    @classmethod
    def latest(cls, action: str, ticket_ids) -> dict:
        """{ticket id: its latest event of `action`} for these tickets."""
        rows = cls.select().where((cls.action == action) & cls.ticket.in_(list(ticket_ids))).order_by(cls.id)
        return {row.ticket_id: row for row in rows}


LEDGER_STATES = {"open": "整改中", "closed": "已销号"}
EXTENSION_STATES = {"requested": "延期待审批", "approved": "延期已批准", "rejected": "延期已驳回"}


class LedgerItem(BaseModel):
    """An entry on the 台账 for a complex case: a plan, who answers for it, a due date."""

    ticket = ForeignKeyField(Ticket, backref="ledger_items", on_delete="CASCADE")
    plan = TextField()
    # The person answerable for the plan, as staff name it (not necessarily a user).
    responsible = CharField(max_length=50)
    due_on = DateField()
    state = CharField(max_length=8, default="open")
    extension_state = CharField(max_length=16, null=True)
    extension_due_on = DateField(null=True)
    extension_reason = TextField(null=True)
    result = TextField(null=True)
    closed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def for_ticket(cls, ticket):
        return cls.select().where(cls.ticket == ticket).order_by(cls.id)

    @classmethod
    def open_for(cls, ticket):
        return cls.select().where((cls.ticket == ticket) & (cls.state == "open"))

    @classmethod
    def extensions_pending(cls, department=None):
        """What the bureau has to decide (with their tickets), oldest request first."""
        query = cls.select(cls, Ticket).join(Ticket).where(cls.extension_state == "requested")
        if department is not None:
            query = query.where(Ticket.department == department)
        return query.order_by(cls.id)


class TicketContact(BaseModel):
    """The user a department's new tickets are assigned to by default."""

    department = ForeignKeyField(Department, unique=True, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    @classmethod
    def user_for(cls, department):
        row = cls.get_or_none(cls.department == department)
        return row.user if row is not None else None


# Open tickets by time (migration 0014): "overdue now" in the rectification figures reads these few rows.
Ticket.add_index(Ticket.index(Ticket.created_at, where=Ticket.state.in_(OPEN_STATES), name="ticket_open_created_at"))
