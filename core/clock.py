"""Time in the product's one zone, Beijing time (UTC+8, no daylight saving).

Timestamps are stored as naive Beijing wall time, so that "today", "this
month" and the working-day calendar are plain date arithmetic in SQL on both
SQLite and PostgreSQL. Every boundary converts: input with any offset is
turned into Beijing time, output carries "+08:00".
"""

import datetime as dt

CST = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

# The times the product accepts from outside (a case's accepted_at, a filter's date): a
# wide window around now. Beyond it a time is a typo or an attack, and at the edges of
# Python's range converting the zone overflows.
EARLIEST = dt.datetime(1970, 1, 1)
LATEST = dt.datetime(2100, 1, 1)

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Current Beijing time, naive (what the database stores)."""
    if _frozen is not None:
        return _frozen
    return dt.datetime.now(CST).replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    return now().date()


def freeze(at: dt.datetime | None) -> None:
    """Pin `now()` for tests and for back-dated demo data; None releases it."""
    global _frozen
    _frozen = None if at is None else to_local(at)


def frozen_at() -> dt.datetime | None:
    """The pinned time, or None while the clock runs (so a caller can pin it back)."""
    return _frozen


def to_local(value: dt.datetime) -> dt.datetime:
    """Any datetime to naive Beijing time; naive input is taken as Beijing time."""
    if value.tzinfo is not None:
        value = value.astimezone(CST).replace(tzinfo=None)
    return value.replace(microsecond=0)


def parse_iso(text: str) -> dt.datetime:
    """Parse ISO 8601 (offset optional, `Z` allowed) into naive Beijing time, between
    EARLIEST and LATEST; raises ValueError on anything else."""
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError("not an ISO 8601 time")
    try:
        value = to_local(dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except OverflowError:  # 0001-01-01T00:00+14:00 and the like
        raise ValueError("time out of range") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError("time out of range")
    return value


def parse_date(text) -> dt.date | None:
    """An ISO date (YYYY-MM-DD) between EARLIEST and LATEST, or None."""
    if not isinstance(text, str) or len(text) > 10:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST.date() <= day < LATEST.date() else None


def iso(value: dt.datetime | None) -> str | None:
    """Stored Beijing time to ISO 8601 with its offset."""
    if value is None:
        return None
    return value.replace(tzinfo=CST).isoformat()
