"""The staff-identity registry the bureau keeps: which WeChat users, phone
numbers, devices and networks belong to staff.

A rating from a staff member's own identity on a case (or a window rating of
the staff member) they handled is refused; from any staff identity or staff
network it is flagged for review (ratings/fraud.py). Window tablets are the
citizens' devices and are never registered here.
"""

from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField

from core import clock
from core.cache import TtlCache

from .access import User
from .db import BaseModel
from .org import Staff

IDENTITY_KINDS = {
    "openid": "微信用户（openid）",
    "phone": "手机号码",
    "device": "设备编号",
    "network": "网络（IP 或网段）",
}
# A rater with one of these is the staff member in person; a network is shared.
PERSONAL_KINDS = ("openid", "phone", "device")
# Another process's change is seen within this many seconds.
REGISTRY_TTL = 10
_registry = TtlCache(REGISTRY_TTL, size=1)


class StaffIdentity(BaseModel):
    staff = ForeignKeyField(Staff, backref="identities", on_delete="CASCADE")
    kind = CharField(max_length=16)
    # openid; a keyed hash of the phone (never the number); the device id; the
    # network in CIDR notation.
    value = CharField(max_length=128)
    # What staff see: the masked phone, or the value itself.
    shown = CharField(max_length=64)
    note = CharField(max_length=100, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("kind", "value"), True),)

    @classmethod
    def registry(cls) -> list["StaffIdentity"]:
        """Every registered identity, per process for REGISTRY_TTL seconds: the fraud
        screen asks on every rating, and the registry changes a few times a year.
        Registering or removing clears it in that process at once (`core.cache.clear_all`)."""
        rows = _registry.get("all")
        if rows is None:
            rows = list(cls.select())
            _registry.put("all", rows)
        return rows

    @classmethod
    def matching(cls, personal: list[tuple[str, str]], with_networks: bool) -> list["StaffIdentity"]:
        """Rows matching any of the (kind, value) pairs, plus every network row if asked."""
        if not personal and not with_networks:
            return []
        wanted = set(personal)
        return [
            row
            for row in cls.registry()
            if (row.kind, row.value) in wanted or (with_networks and row.kind == "network")
        ]
