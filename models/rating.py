"""Ratings: the five-level verdict on a case or, on site, on a window or staff member."""

import threading

from peewee import SQL
from peewee import BooleanField
from peewee import CharField
from peewee import DateField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import TextField
from peewee import fn

from core import clock

from .case import Case
from .db import BaseModel
from .db import db
from .db import insert_row
from .db import is_postgres
from .db import prepared
from .item import Item
from .org import Department
from .org import Hall
from .org import Staff
from .org import Window

# Counts `Rating.insert_counting` made with a rating's INSERT, for the fraud screen's call (per thread).
_counted = threading.local()

# Channel → where the rating was given. The upstream profile maps these to `pf`.
CHANNELS = {
    "wechat": "微信小程序",
    "h5": "短信链接页面",
    "qr": "窗口二维码",
    "sms": "短信回复",
    "pad": "窗口评价器",
    "kiosk": "自助终端",
    "paper": "纸质评价表",
    "pc": "网上办事大厅",
    "phone": "电话回访",
    # Given by the system, not the citizen (ratings.default_rating_days; ratings/defaults.py).
    "default": "系统默认评价",
}
# Channels keyed in through the business API (`POST /api/v1/ratings`) by a system, not a citizen.
DEVICE_CHANNELS = ("pad", "kiosk", "paper", "pc", "phone")
# Who may key in which channel (自愿真实: nobody rates for the citizen). A department's key rates
# through its own windows' devices; paper forms and the 12345 hotline's phone ratings are keyed in
# by the bureau (its paper-form import or a bureau key), never by the department rated.
KEY_CHANNELS = {
    "department": ("pad", "kiosk", "pc"),
    "bureau": ("pad", "kiosk", "pc", "paper", "phone"),
}
# Channels whose rating needs a case: the 12345 hotline rates a case it was told of.
CASE_ONLY_CHANNELS = ("phone",)
DEFAULT_CHANNEL = "default"  # a system default rating (ratings/defaults.py), not a citizen's

FIRST = 1
ADDENDUM = 2  # 追评: the one addendum to a first rating


class Rating(BaseModel):
    # No single-column index on case or department: the (case, sequence) and (department,
    # created_at) indexes below lead with them (migration 0015 dropped the duplicates).
    case = ForeignKeyField(Case, backref="ratings", null=True, on_delete="RESTRICT", index=False)
    # 1 for the first rating of a case, 2 for its one 追评. A unique index on
    # (case, sequence) is what makes "one rating per case" race-safe.
    sequence = IntegerField(default=FIRST)
    level = IntegerField()
    labels = CharField(max_length=200, default="")
    label_version = CharField(max_length=32)
    comment = TextField(null=True)
    channel = CharField(max_length=16)
    # Who rated, as a pseudonymous reference ("wx:<openid>", "sms:<invitation>",
    # "device:<key>", "browser:<token>"); never a phone number or a name.
    rater_ref = CharField(max_length=80, null=True)
    department = ForeignKeyField(Department, backref="ratings", on_delete="RESTRICT", index=False)
    # Indexed (partially: only rows that name one) below.
    hall = ForeignKeyField(Hall, null=True, on_delete="SET NULL", index=False)
    window = ForeignKeyField(Window, null=True, on_delete="SET NULL", index=False)
    staff = ForeignKeyField(Staff, null=True, on_delete="SET NULL", index=False)
    item = ForeignKeyField(Item, null=True, on_delete="SET NULL", index=False)
    is_bad = BooleanField(default=False)
    # Left out of every figure (an approved appeal, a fraud review); the
    # rating itself and the reason are kept.
    excluded = BooleanField(default=False)
    excluded_reason = TextField(null=True)
    # Case-less on-site ratings: the day and the rater's slot that day at this
    # window. The unique index below caps them per rater, window and day.
    onsite_day = DateField(null=True)
    onsite_slot = IntegerField(null=True)
    created_at = DateTimeField(default=clock.now, index=True)
    # Case-less on-site ratings also carry a keyed hash of the client's network (its IPv4
    # address, an IPv6 /64: what clearing cookies does not change), and an anonymous one
    # (cookie only) that counts the slot it took among its network's ratings at that window
    # that day; a held one has none. The partial unique index below caps the slots.
    rater_network = CharField(max_length=64, null=True)
    network_slot = IntegerField(null=True)

    class Meta:
        # The one-rating rule (case, sequence) and the on-site cap (rater_ref, window,
        # onsite_day, onsite_slot) are unique partial indexes below (migration 0035).
        indexes = (
            (("department", "created_at"), False),
            # The fraud screen's burst count (ratings/fraud.py).
            (("rater_ref", "level", "created_at"), False),
        )
        constraints = [SQL("CHECK (level BETWEEN 1 AND 5)"), SQL("CHECK (sequence IN (1, 2))")]

    @property
    def label_codes(self) -> list[str]:
        return [code for code in self.labels.split(",") if code]

    @classmethod
    def first_for_case(cls, case):
        return cls.get_or_none((cls.case == case) & (cls.sequence == FIRST))

    @classmethod
    def for_case(cls, case):
        return cls.select().where(cls.case == case).order_by(cls.sequence)

    @classmethod
    def onsite_count(cls, rater_ref: str, window, day) -> int:
        return (
            cls.select(fn.COUNT(cls.id))
            .where((cls.rater_ref == rater_ref) & (cls.window == window) & (cls.onsite_day == day))
            .scalar()
        )

    @classmethod
    def recent_count(cls, rater_ref, level, since, until, per_window=False, window_id=None, cap=1000) -> int:
        """How many ratings of `level` the rater gave in (since, until], counted up to `cap`.

        Runs on every rating (the fraud screen's burst rule): prepared SQL over the
        (rater_ref, level, created_at) index, and the LIMIT keeps a busy device's
        count as cheap as a quiet one's. A count made by `insert_counting` with these
        arguments, in this thread, is taken instead of a query (once)."""
        args = (rater_ref, level, since, until, per_window, window_id, cap)
        counted = getattr(_counted, "found", None)
        if counted is not None and args in counted:
            return counted.pop(args)
        sql, params = cls._recent_sql(*args)
        return db.execute_prepared(sql, params).fetchone()[0]

    @classmethod
    def _recent_sql(cls, rater_ref, level, since, until, per_window, window_id, cap) -> tuple[str, list]:
        def build(p):
            same = "IS NOT DISTINCT FROM" if is_postgres() else "IS"  # the window may be NULL
            window = f" AND window_id {same} {p}" if per_window else ""
            return (
                "SELECT COUNT(*) FROM (SELECT 1 FROM rating WHERE rater_ref = "  # noqa: S608 - no input
                f"{p} AND level = {p} AND created_at > {p} AND created_at <= {p}{window} LIMIT {p}) AS recent"
            )

        sql = prepared(f"rating.recent_count.{per_window}", build)
        params = [rater_ref, level, cls.created_at.db_value(since), cls.created_at.db_value(until)]
        params += [window_id] if per_window else []
        return sql, [*params, cap]

    @classmethod
    def insert_counting(cls, values: dict, recent: tuple) -> int:
        """INSERT a new rating ({column: value}, as `insert_row` takes them) and, in the same
        statement, `recent_count(*recent)` as it stands with the new rating (the fraud screen's
        burst count: one statement, and one round trip, fewer per rating). The count is kept
        for the `recent_count` call with the same arguments that follows. Returns the id."""
        sql, params = cls._recent_sql(*recent)
        rating_id, count = insert_row(cls, values, extra=(sql, params))
        if is_postgres():
            count = min(count + 1, recent[-1])  # the subquery saw the table before the INSERT
        if getattr(_counted, "found", None) is None:
            _counted.found = {}
        _counted.found.clear()  # one rating's at a time: nothing stale stays behind
        _counted.found[recent] = count
        return rating_id

    @classmethod
    def onsite_target(cls, window_id: int | None, staff_id: int | None):
        """Where a case-less on-site rating was given: its window, or a staff member without one."""
        return cls.window == window_id if window_id is not None else cls.window.is_null() & (cls.staff == staff_id)

    @classmethod
    def network_counted(cls, window_id: int | None, staff_id: int | None, day, network: str) -> int:
        """Anonymous on-site ratings of `network` that count at the window that day (they hold a slot)."""
        return (
            cls.select(fn.COUNT(cls.id))
            .where(
                cls.onsite_target(window_id, staff_id)
                & (cls.onsite_day == day)
                & (cls.rater_network == network)
                & cls.network_slot.is_null(False)
            )
            .scalar()
        )

    @classmethod
    def onsite_levels_since(cls, window_id, staff_id, day, since, network: str | None = None, cap: int = 500) -> list:
        """The levels of the case-less on-site ratings at the window after `since` that day (from one
        network, if given), newest first, at most `cap`: the partial index (window, day, network, slot)."""
        query = cls.select(cls.level).where(
            cls.onsite_target(window_id, staff_id) & (cls.onsite_day == day) & (cls.created_at > since)
        )
        if network is not None:
            query = query.where(cls.rater_network == network)
        return [level for (level,) in query.order_by(cls.created_at.desc()).limit(cap).tuples()]

    @classmethod
    def burst_members(cls, window_id, staff_id, day, network: str, since, level: int) -> list["Rating"]:
        """The ratings a network burst is made of: that network's case-less ratings of `level`
        at the window after `since`, still counted."""
        return list(
            cls.select()
            .where(
                cls.onsite_target(window_id, staff_id)
                & (cls.onsite_day == day)
                & (cls.rater_network == network)
                & (cls.created_at > since)
                & (cls.level == level)
                & ~cls.excluded
            )
            .order_by(cls.id)
        )

    @classmethod
    def counted(cls):
        """Ratings that count in the figures."""
        return cls.select().where(~cls.excluded)


# The 差评 by time, for the rectification figures (migration 0012): a partial index, 5 % of the rows.
Rating.add_index(Rating.index(Rating.created_at, where=Rating.is_bad, name="rating_bad_created_at"))
# Case-less on-site ratings only (migration 0018): the cap of anonymous ratings per network, window
# and day, and the per-window counts of the day; ratings of cases never enter it.
Rating.add_index(
    Rating.index(
        Rating.window,
        Rating.onsite_day,
        Rating.rater_network,
        Rating.network_slot,
        unique=True,
        where=Rating.onsite_day.is_null(False),
        name="rating_onsite_network",
    )
)
# The month's analyses (migration 0021): the ratings of level 3 and below (problem analysis)
# and the system default ratings, by time.
Rating.add_index(Rating.index(Rating.created_at, where=Rating.level <= 3, name="rating_low_created_at"))
Rating.add_index(
    Rating.index(Rating.created_at, where=Rating.channel == DEFAULT_CHANNEL, name="rating_default_created_at")
)
# Partial: an index entry costs every rating its insert, and NULLs are never looked up (migration 0035).
Rating.add_index(
    Rating.index(
        Rating.case, Rating.sequence, unique=True, where=Rating.case.is_null(False), name="rating_case_id_sequence"
    )
)
Rating.add_index(
    Rating.index(
        Rating.rater_ref,
        Rating.window,
        Rating.onsite_day,
        Rating.onsite_slot,
        unique=True,
        where=Rating.onsite_day.is_null(False),
        name="rating_rater_ref_window_id_onsite_day_onsite_slot",
    )
)
for _field in (Rating.hall, Rating.window, Rating.staff, Rating.item):
    Rating.add_index(Rating.index(_field, where=_field.is_null(False), name=f"rating_{_field.column_name}"))
