"""Fraud flags: a rating that looks coerced or stuffed waits for the bureau's review.

The rating itself is kept (never deleted) and left out of every figure
(`Rating.excluded`) while its flag is pending or after it was rejected.
"""

from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import TextField

from core import clock

from .access import User
from .db import BaseModel
from .rating import Rating

FLAG_RULES = {
    "staff_identity": "工作人员的微信、手机号或设备评价",
    "staff_network": "来自工作人员网络",
    "pad_too_fast": "窗口评价器在办结后数秒内评价",
    "burst": "同一评价人短时间内大量相同评价",
    "network_limit": "同一网络当日在此窗口的评价超过上限",
    "window_rate": "窗口短时间内评价过多",
    "network_burst": "同一网络短时间内集中给出相同评价",
}
REVIEW_STATES = {"pending": "待审核", "genuine": "确认有效", "rejected": "确认刷评"}


class RatingFlag(BaseModel):
    rating = ForeignKeyField(Rating, unique=True, backref="flags", on_delete="CASCADE")
    # Comma-separated FLAG_RULES codes; the reason explains them in Chinese.
    rules = CharField(max_length=100)
    reason = TextField()
    review_state = CharField(max_length=16, default="pending", index=True)
    created_at = DateTimeField(default=clock.now)
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)
    review_note = TextField(null=True)

    @property
    def rule_codes(self) -> list[str]:
        return [code for code in self.rules.split(",") if code]

    @property
    def rule_names(self) -> list[str]:
        return [FLAG_RULES.get(code, code) for code in self.rule_codes]

    @classmethod
    def for_rating(cls, rating):
        return cls.get_or_none(cls.rating == rating)

    @classmethod
    def queue(cls):
        """Flags with their ratings, pending first, newest first."""
        return (
            cls.select(cls, Rating)
            .join(Rating)
            .order_by((cls.review_state == "pending").desc(), cls.created_at.desc(), cls.id.desc())
        )
