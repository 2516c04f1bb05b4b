"""SMS one-time codes that bind an on-site rating to a verified phone.

Only keyed hashes are kept: of the phone (to compare it) and of the code (to check
it); the code itself leaves in the SMS and is never stored in clear here.
"""

from peewee import CharField
from peewee import DateTimeField
from peewee import IntegerField

from core import clock

from .db import BaseModel


class PhoneVerification(BaseModel):
    phone_hash = CharField(max_length=64, index=True)
    code_hash = CharField(max_length=64)
    # Wrong codes tried; the code is dead after `MAX_ATTEMPTS` (ratings/verification.py).
    attempts = IntegerField(default=0)
    created_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField()
    verified_at = DateTimeField(null=True)

    @classmethod
    def sent_since(cls, phone_hash: str, since) -> int:
        return cls.select().where((cls.phone_hash == phone_hash) & (cls.created_at > since)).count()
