"""peewee models, one module per aggregate, re-exported here."""

from .access import ROLES
from .access import ApiKey
from .access import StaffSession
from .access import User
from .audit import AuditLog
from .case import INVITATION_STATE_NAMES
from .case import Case
from .case import Invitation
from .case import OptOut
from .db import BaseModel
from .db import db
from .db import init_database
from .fraud import RatingFlag
from .item import ITEM_CATEGORIES
from .item import Item
from .label import BAD_LEVELS
from .label import LEVEL_NAMES
from .label import Label
from .label import LabelSet
from .month import BusinessContact
from .month import MonthReport
from .month import MonthSubmission
from .notification import Notification
from .org import DEPARTMENT_KINDS
from .org import Department
from .org import Hall
from .org import Staff
from .org import Window
from .outbox import Outbox
from .rating import CHANNELS
from .rating import Rating
from .rollup import CaseRollup
from .rollup import CaseRollupDelta
from .rollup import RatingRollup
from .rollup import RatingRollupDelta
from .rollup import TicketRollup
from .scheduler import SchedulerProcess
from .sms import SmsInbox
from .sms import SmsMessage
from .staff_identity import StaffIdentity
from .ticket import TICKET_STATES
from .ticket import LedgerItem
from .ticket import Ticket
from .ticket import TicketContact
from .ticket import TicketEvent
from .upstream import PUSH_STATES
from .upstream import JobRun
from .upstream import UpstreamPush
from .upstream import UpstreamReconciliation
from .verification import PhoneVerification
from .wechat import PosterCache
from .wechat import RaterContact
from .wechat import WxaCode
from .wechat import WxSubscription
from .wechat import WxToken
from .wechat import WxUser

# In dependency order (what `create_tables` and the migrations follow).
MODELS = [
    Department,
    Hall,
    Window,
    Staff,
    Item,
    Case,
    Invitation,
    OptOut,
    LabelSet,
    Label,
    Rating,
    Ticket,
    Outbox,
    ApiKey,
    User,
    StaffSession,
    AuditLog,
    TicketEvent,
    LedgerItem,
    TicketContact,
    Notification,
    WxUser,
    WxToken,
    WxSubscription,
    WxaCode,
    PosterCache,
    RaterContact,
    UpstreamPush,
    UpstreamReconciliation,
    JobRun,
    SchedulerProcess,
    RatingRollup,
    RatingRollupDelta,
    CaseRollup,
    CaseRollupDelta,
    TicketRollup,
    StaffIdentity,
    RatingFlag,
    SmsMessage,
    SmsInbox,
    PhoneVerification,
    BusinessContact,
    MonthSubmission,
    MonthReport,
]

__all__ = [
    "BAD_LEVELS",
    "CHANNELS",
    "DEPARTMENT_KINDS",
    "INVITATION_STATE_NAMES",
    "ITEM_CATEGORIES",
    "LEVEL_NAMES",
    "MODELS",
    "PUSH_STATES",
    "ROLES",
    "TICKET_STATES",
    "ApiKey",
    "AuditLog",
    "BaseModel",
    "BusinessContact",
    "Case",
    "Department",
    "Hall",
    "Invitation",
    "Item",
    "JobRun",
    "Label",
    "LabelSet",
    "LedgerItem",
    "MonthReport",
    "MonthSubmission",
    "Notification",
    "OptOut",
    "Outbox",
    "PhoneVerification",
    "PosterCache",
    "RaterContact",
    "Rating",
    "RatingRollup",
    "RatingRollupDelta",
    "CaseRollup",
    "CaseRollupDelta",
    "TicketRollup",
    "RatingFlag",
    "SchedulerProcess",
    "SmsInbox",
    "SmsMessage",
    "Staff",
    "StaffIdentity",
    "StaffSession",
    "Ticket",
    "TicketContact",
    "TicketEvent",
    "UpstreamPush",
    "UpstreamReconciliation",
    "User",
    "Window",
    "WxSubscription",
    "WxToken",
    "WxUser",
    "WxaCode",
    "db",
    "init_database",
]
