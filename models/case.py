"""Cases (办件) reported by the departments' business systems, and the
invitations to rate them."""

from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField
from peewee import chunked

from core import clock
from core.crypto import phone_hash

from .bulk import build
from .bulk import select_in
from .db import BaseModel
from .db import db
from .item import Item
from .org import Department
from .org import Hall
from .org import Staff
from .org import Window
from .pii import EncryptedField
from .pii import LookupHashField
from .pii import PiiModel

CASE_STATUSES = ("accepted", "completed")
CASE_MODES = ("offline", "online")
APPLICANT_TYPES = ("person", "legal")


class Case(PiiModel):
    """One service case. The applicant fields are the only personal data here."""

    case_no = CharField(max_length=64, unique=True)
    item = ForeignKeyField(Item, backref="cases", on_delete="RESTRICT")
    department = ForeignKeyField(Department, backref="cases", on_delete="RESTRICT")
    hall = ForeignKeyField(Hall, null=True, on_delete="SET NULL")
    window = ForeignKeyField(Window, null=True, on_delete="SET NULL")
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL")
    mode = CharField(max_length=8, default="offline")
    status = CharField(max_length=16, default="accepted")
    accepted_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True, index=True)
    # Personal data (PIPL): encrypted at rest (models/pii.py), masked by role,
    # never logged, cleared after retention (ops/retention.py).
    applicant_name = EncryptedField(null=True)
    applicant_phone = EncryptedField(null=True, lookup="phone")
    applicant_phone_hash = LookupHashField(null=True, index=True)
    applicant_type = CharField(max_length=8, null=True)
    # 证件号码: resident ID number (person) or unified social credit code (legal).
    applicant_id_number = EncryptedField(null=True)
    # Whoever holds this code can rate this one case and nothing else.
    rating_code = CharField(max_length=16, unique=True)
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now)

    @classmethod
    def by_case_no(cls, case_no: str):
        return cls.get_or_none(cls.case_no == case_no)

    @classmethod
    def by_rating_code(cls, code: str):
        return cls.get_or_none(cls.rating_code == code)

    @classmethod
    def stored_numbers(cls, case_nos: list) -> dict:
        """{case_no: (id, department_id, rating_code)} of the stored ones among `case_nos` (batch intake)."""
        rows = select_in(cls, ("case_no", "id", "department", "rating_code"), "case_no", case_nos)
        return {case_no: tuple(rest) for case_no, *rest in rows}

    @classmethod
    def of_phone(cls, phone: str):
        """The cases whose applicant has this phone number (any mainland format)."""
        return cls.select().where(cls.applicant_phone_hash == phone_hash(phone))


INVITATION_STATE_NAMES = {
    "scheduled": "待发送",
    "sent": "已发送",
    "delivered": "已送达",
    "failed": "发送失败",
    "rated": "已评价",
    "expired": "已过期",
    "cancelled": "已取消",
}
INVITATION_STATES = tuple(INVITATION_STATE_NAMES)


class Invitation(BaseModel):
    """The one invitation to rate a completed case, by SMS (or a subscribe message)."""

    # Indexed by the unique (case, channel) below (migration 0037 dropped the duplicate).
    case = ForeignKeyField(Case, backref="invitations", on_delete="CASCADE", index=False)
    channel = CharField(max_length=16, default="sms")
    state = CharField(max_length=16, default="scheduled", index=True)
    send_after = DateTimeField()
    sent_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)
    reminded_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    # Indexed partially below: NULL until the SMS leaves (migration 0037).
    provider_id = CharField(max_length=64, null=True)
    error_code = CharField(max_length=64, null=True)
    error_message = TextField(null=True)
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("case", "channel"), True),)

    @classmethod
    def for_case(cls, case, channel: str = "sms"):
        return cls.get_or_none((cls.case == case) & (cls.channel == channel))

    @classmethod
    def ids_for(cls, case_ids: list, channel: str = "sms") -> dict:
        """{case_id: invitation id} of the cases' invitations on `channel` (batch intake)."""
        return dict(select_in(cls, ("case", "id"), "case", case_ids, equal=(("channel", channel),)))

    @classmethod
    def answerable_by_phone(cls, hashes: list[str], completed_after) -> dict[str, list]:
        """{phone hash: the SMS invitations it received that can still be answered
        (case completed after `completed_after`), newest first}, in one query per 500 phones."""
        found: dict[str, list] = {h: [] for h in hashes}
        # Of the case, what rating it and screening it reads: not the applicant's name or ID
        # number (decrypting them for every invitation of a chunk cost more than the query);
        # the instances built from plain rows (models.bulk.build), the case attached.
        inv_fields = tuple(cls._meta.sorted_fields)
        case_fields = (Case.id, Case.department, Case.hall, Case.window, Case.staff, Case.item, Case.status)
        case_fields += (Case.completed_at, Case.applicant_phone, Case.applicant_phone_hash, Case.rating_code)
        inv_names, case_names = tuple(f.name for f in inv_fields), tuple(f.name for f in case_fields)
        for part in chunked(hashes, 500):
            query = (
                cls.select(*inv_fields, *case_fields)
                .join(Case)
                .where(
                    Case.applicant_phone_hash.in_(part)
                    & (cls.channel == "sms")
                    & cls.state.in_(("sent", "delivered", "failed"))
                    & cls.sent_at.is_null(False)
                    & (Case.completed_at > completed_after)
                )
                .order_by(cls.sent_at.desc(), cls.id.desc())
            )
            for row in db.execute_sql(*query.sql()).fetchall():
                invitation = build(cls, inv_names, row[: len(inv_names)])
                case = build(Case, case_names, row[len(inv_names) :])
                invitation.__rel__["case"] = case
                found[case.applicant_phone_hash].append(invitation)
        return found


Invitation.add_index(
    Invitation.index(Invitation.provider_id, where=Invitation.provider_id.is_null(False), name="invitation_provider_id")
)


class OptOut(PiiModel):
    """A phone number that replied TD/退订: it gets no further invitation.

    Kept as long as the opt-out stands (its purpose), so not purged; the
    encrypted number stays so that a new lookup key can rehash it."""

    # Personal data (PIPL).
    phone = EncryptedField(lookup="phone")
    phone_hash = LookupHashField(unique=True)
    source = CharField(max_length=16, default="sms")
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def has(cls, phone: str) -> bool:
        return cls.select().where(cls.phone_hash == phone_hash(phone)).exists()

    @classmethod
    def among(cls, hashes: list) -> set:
        """The phone hashes among `hashes` that opted out (batch intake)."""
        return {h for (h,) in select_in(cls, ("phone_hash",), "phone_hash", hashes)}
