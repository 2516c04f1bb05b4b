"""peewee models, one module per aggregate, re-exported here."""

from .access import ROLES
from .access import ApiKey
from .access import User
from .audit import AuditLog
from .case import Case
from .case import Invitation
from .case import OptOut
from .db import BaseModel
from .db import db
from .db import init_database
from .item import ITEM_CATEGORIES
from .item import Item
from .label import BAD_LEVELS
from .label import LEVEL_NAMES
from .label import Label
from .label import LabelSet
from .org import DEPARTMENT_KINDS
from .org import Department
from .org import Hall
from .org import Staff
from .org import Window
from .outbox import Outbox
from .rating import CHANNELS
from .rating import Rating
from .ticket import TICKET_STATES
from .ticket import Ticket
from .upstream import PUSH_STATES
from .upstream import JobRun
from .upstream import UpstreamPush
from .upstream import UpstreamReconciliation

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
    AuditLog,
    UpstreamPush,
    UpstreamReconciliation,
    JobRun,
]

__all__ = [
    "BAD_LEVELS",
    "CHANNELS",
    "DEPARTMENT_KINDS",
    "ITEM_CATEGORIES",
    "LEVEL_NAMES",
    "MODELS",
    "PUSH_STATES",
    "ROLES",
    "TICKET_STATES",
    "ApiKey",
    "AuditLog",
    "BaseModel",
    "Case",
    "Department",
    "Hall",
    "Invitation",
    "Item",
    "JobRun",
    "Label",
    "LabelSet",
    "OptOut",
    "Outbox",
    "Rating",
    "Staff",
    "Ticket",
    "UpstreamPush",
    "UpstreamReconciliation",
    "User",
    "Window",
    "db",
    "init_database",
]
