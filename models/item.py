"""The service item catalogue (政务服务事项清单)."""

from peewee import BooleanField
from peewee import CharField
from peewee import ForeignKeyField

from .db import BaseModel
from .org import Department

# The seven kinds of item the seed brings under 好差评 (实施方案 三、评价范围).
ITEM_CATEGORIES = (
    "行政许可",
    "行政给付",
    "行政确认",
    "行政裁决",
    "行政奖励",
    "其他行政权力",
    "公共服务",
)


class Item(BaseModel):
    """A service item (事项), e.g. 居民身份证换领, owned by one department."""

    code = CharField(max_length=64, unique=True)
    name = CharField(max_length=200)
    # One of ITEM_CATEGORIES; None while an item reported by a business
    # system has not yet been matched to the catalogue.
    category = CharField(max_length=16, null=True)
    department = ForeignKeyField(Department, backref="items", on_delete="RESTRICT")
    # "catalogue" when imported by the bureau, "api" when first seen on a case.
    source = CharField(max_length=16, default="catalogue")
    active = BooleanField(default=True)

    @classmethod
    def by_code(cls, code: str):
        return cls.get_or_none(cls.code == code)
