"""The audit log: who changed what, when. Rows are only ever appended."""

import json

from peewee import CharField
from peewee import DateTimeField
from peewee import TextField

from core import clock

from .db import BaseModel
from .db import insert_model


class AuditLog(BaseModel):
    at = DateTimeField(default=clock.now, index=True)
    # "user:<username>", "apikey:<prefix>", "cli", "system".
    actor = CharField(max_length=80)
    action = CharField(max_length=64)
    target = CharField(max_length=80, default="")
    # Never personal data in clear: masked values only.
    detail = TextField(default="{}")

    @classmethod
    def record(cls, actor: str, action: str, target: str = "", **detail) -> None:
        row = cls(actor=actor, action=action, target=target, detail=json.dumps(detail, ensure_ascii=False))
        insert_model(row, defer=True)  # nobody reads it back in the transaction: sent with its next statement
