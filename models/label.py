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
from core.cache import TtlCache
from core.levels import LEVEL_NAMES

from .db import BaseModel

BAD_LEVELS = (1, 2)

# The rating core validates every rating against the active dictionary. Per process:
# which set is active is re-read at most every ACTIVE_TTL seconds (a new version made
# in another process applies within that time, at once in the process that made it:
# saving a LabelSet or Label clears the cache).
ACTIVE_TTL = 5
_active = TtlCache(ACTIVE_TTL, size=1)


class LabelSet(BaseModel):
    """One version of the dictionary; exactly one is active."""

    version = CharField(max_length=32, unique=True)
    active = BooleanField(default=False)
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def current(cls):
        return cls.select().where(cls.active).order_by(cls.id.desc()).first()

    @classmethod
    def current_cached(cls) -> tuple["LabelSet | None", dict]:
        """(the active set, its codes by level), from the per-process cache."""
        hit = _active.get("active")
        if hit is None:
            label_set = cls.current()
            hit = (label_set, label_set.codes_by_level() if label_set else {})
            _active.put("active", hit)
        return hit

    def save(self, *args, **kwargs):
        forget()
        return super().save(*args, **kwargs)

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

    def save(self, *args, **kwargs):
        forget()
        return super().save(*args, **kwargs)


def forget() -> None:
    """Drop this process's dictionary cache (after a change to the dictionary)."""
    _active.clear()
