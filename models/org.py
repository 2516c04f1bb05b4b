"""The rated units: departments, their halls and windows, and staff.

Every rating names its department, and where known its hall, window and staff
member, so that each unit appears in the figures (评价对象全覆盖).
"""

from peewee import BooleanField
from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField

from core import clock

from .db import BaseModel

DEPARTMENT_KINDS = {
    "district": "区级部门",
    "town": "镇街",
    "scenic": "景区管理局",
}


class Department(BaseModel):
    """A responsible unit (责任单位): a district department, a town or the scenic-area bureau."""

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100)
    kind = CharField(max_length=16)
    # 18-character unified social credit code, where the upstream asks for it.
    credit_code = CharField(max_length=18, null=True)
    is_bureau = BooleanField(default=False)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def by_code(cls, code: str):
        return cls.get_or_none(cls.code == code)

    @classmethod
    def name_of(cls, department_id: int) -> str:
        return cls.select(cls.name).where(cls.id == department_id).scalar()

    @classmethod
    def directory(cls):
        """Active departments in the public order: district first, then towns."""
        kind_order = {"district": 0, "town": 1, "scenic": 2}
        rows = list(cls.select().where(cls.active).order_by(cls.id))
        return sorted(rows, key=lambda d: kind_order.get(d.kind, 9))


class Hall(BaseModel):
    """A service hall (大厅/中心/站点), e.g. 鄠邑市民之家."""

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100)
    department = ForeignKeyField(Department, backref="halls", on_delete="RESTRICT")
    address = CharField(max_length=200, default="")
    active = BooleanField(default=True)

    @classmethod
    def by_code(cls, code: str):
        return cls.get_or_none(cls.code == code)


class Window(BaseModel):
    """A service window in a hall, staffed by one department."""

    code = CharField(max_length=32, unique=True)
    name = CharField(max_length=100)
    hall = ForeignKeyField(Hall, backref="windows", on_delete="RESTRICT")
    department = ForeignKeyField(Department, backref="windows", on_delete="RESTRICT")
    active = BooleanField(default=True)

    @classmethod
    def by_code(cls, code: str):
        return cls.get_or_none(cls.code == code)


class Staff(BaseModel):
    """A member of staff who handles cases; rated like any other unit."""

    code = CharField(max_length=32, unique=True)
    # Personal data, but shown to staff by design: the rated person's name.
    name = CharField(max_length=50)
    department = ForeignKeyField(Department, backref="staff", on_delete="RESTRICT")
    window = ForeignKeyField(Window, backref="staff", null=True, on_delete="SET NULL")
    active = BooleanField(default=True)

    @classmethod
    def by_code(cls, code: str):
        return cls.get_or_none(cls.code == code)
