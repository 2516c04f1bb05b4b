"""The versioned label dictionary (评价内容): per level, codes and texts.

Labels are version-managed ("评价内容将进行版本管理"): a rating records the
version it was given under, and a new version never rewrites old ratings.
"""

from peewee import BooleanField
from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField

from core import clock

from .db import BaseModel

LEVEL_NAMES = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
BAD_LEVELS = (1, 2)


class LabelSet(BaseModel):
    """One version of the dictionary; exactly one is active."""

    version = CharField(max_length=32, unique=True)
    active = BooleanField(default=False)
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def current(cls):
        return cls.select().where(cls.active).order_by(cls.id.desc()).first()

    def labels_by_level(self) -> dict:
        """{level: [Label, …]} in display order, every level present."""
        grouped = {level: [] for level in LEVEL_NAMES}
        for label in self.labels.order_by(Label.level.desc(), Label.position, Label.code):
            grouped[label.level].append(label)
        return grouped

    def codes_by_level(self) -> dict:
        return {level: {label.code for label in labels} for level, labels in self.labels_by_level().items()}


class Label(BaseModel):
    label_set = ForeignKeyField(LabelSet, backref="labels", on_delete="CASCADE")
    level = IntegerField()
    code = CharField(max_length=16)
    text = CharField(max_length=50)
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("label_set", "code"), True),)
