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
]

# The SMS bot's tables live with the bot (imported last: they build on Invitation).
from sms.models import SmsInbox  # noqa: E402
from sms.models import SmsMessage  # noqa: E402

MODELS += [SmsMessage, SmsInbox]

__all__ = [
    "BAD_LEVELS",
    "CHANNELS",
    "DEPARTMENT_KINDS",
    "ITEM_CATEGORIES",
    "LEVEL_NAMES",
    "MODELS",
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
    "Label",
    "LabelSet",
    "OptOut",
    "Outbox",
    "Rating",
    "SmsInbox",
    "SmsMessage",
    "Staff",
    "Ticket",
    "User",
    "Window",
    "db",
    "init_database",
]
