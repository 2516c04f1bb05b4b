"""Maintained rating rollups: counted first ratings per period, unit and level.

The database keeps them exact by itself: triggers on `rating` append each change to
`rating_rollup_delta`, `figures.rollup.fold()` (a scheduler job) moves the deltas into
`rating_rollup`, and readers add the deltas not yet folded (see `figures/rollup.py` for
the design; `figures.triggers.rebuild()` recounts from `rating` and drops the deltas).
"""

from peewee import CharField
from peewee import DateField
from peewee import IntegerField

from .db import BaseModel

GRAINS = ("d", "m")  # day, month (the period is the month's first day)
DIMS = ("department", "hall", "window", "staff", "item", "channel")


class RatingRollup(BaseModel):
    grain = CharField(max_length=1)
    period = DateField()
    dim = CharField(max_length=12)
    # The unit's id for department/hall/window/staff/item; 0 for the channel dimension.
    unit_id = IntegerField(default=0)
    # The channel code for the channel dimension; '' for the others.
    channel = CharField(max_length=16, default="")
    department_id = IntegerField()
    level = IntegerField()
    n = IntegerField(default=0)

    class Meta:
        table_name = "rating_rollup"
        indexes = (
            # The upsert's conflict target, ordered for the triggers' decrements.
            (("department_id", "level", "grain", "period", "dim", "unit_id", "channel"), True),
            # The figures' reads: one dimension, one grain, a range of periods.
            (("dim", "grain", "period"), False),
        )


class RatingRollupDelta(BaseModel):
    """A change to the rating rollup not yet folded into it: +1 for a counted first rating
    that appeared, -1 for one that went (excluded, edited, deleted), with its units as they
    were. Written only by the triggers on `rating`; append-only until `fold()` moves it.
    No key and no index: every rating writes one row, and `fold()` takes them all."""

    day = DateField()
    department_id = IntegerField()
    hall_id = IntegerField(null=True)
    window_id = IntegerField(null=True)
    staff_id = IntegerField(null=True)
    item_id = IntegerField(null=True)
    channel = CharField(max_length=16)
    level = IntegerField()
    n = IntegerField()

    class Meta:
        table_name = "rating_rollup_delta"
        primary_key = False


class CaseRollup(BaseModel):
    """Completed cases per department and Beijing day of completion, and how many of them
    have a first rating (未评率). Kept by triggers (migration 0011, `figures/case_rollup.py`)."""

    department_id = IntegerField()
    day = DateField()
    completed = IntegerField(default=0)
    rated = IntegerField(default=0)

    class Meta:
        table_name = "case_rollup"
        indexes = ((("department_id", "day"), True),)


class CaseRollupDelta(BaseModel):
    """A change to the case rollup not yet folded into it (as `RatingRollupDelta`): ± completed
    and rated cases of a department and day. Written only by the triggers on `case` and `rating`."""

    department_id = IntegerField()
    day = DateField()
    completed = IntegerField()
    rated = IntegerField()

    class Meta:
        table_name = "case_rollup_delta"
        primary_key = False


class TicketRollup(BaseModel):
    """The rectification counts of the counted 差评 per department and Beijing day of the
    rating. Kept by triggers (migration 0013, `figures/ticket_rollup.py`)."""

    department_id = IntegerField()
    day = DateField()
    bad = IntegerField(default=0)
    replied = IntegerField(default=0)
    followed_up = IntegerField(default=0)
    satisfied = IntegerField(default=0)
    basically_satisfied = IntegerField(default=0)
    resolved = IntegerField(default=0)
    on_time = IntegerField(default=0)
    resolved_late = IntegerField(default=0)
    on_the_spot = IntegerField(default=0)
    on_ledger = IntegerField(default=0)
    closed = IntegerField(default=0)

    class Meta:
        table_name = "ticket_rollup"
        indexes = ((("department_id", "day"), True),)
