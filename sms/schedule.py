"""Quiet hours (免打扰时段), in Beijing wall time like every stored time."""

import datetime as dt


def _times(quiet_hours) -> tuple[dt.time, dt.time] | None:
    if not quiet_hours:
        return None
    start, end = (dt.time.fromisoformat(value) for value in quiet_hours)
    return None if start == end else (start, end)


def hold_until(now: dt.datetime, quiet_hours) -> dt.datetime | None:
    """When quiet hours end, if `now` is inside them; else None."""
    times = _times(quiet_hours)
    if times is None:
        return None
    start, end = times
    t = now.time()
    if start < end:  # a window inside one day, e.g. 12:00–14:00
        return dt.datetime.combine(now.date(), end) if start <= t < end else None
    if t >= start:  # overnight, e.g. 21:00–08:00
        return dt.datetime.combine(now.date() + dt.timedelta(days=1), end)
    if t < end:
        return dt.datetime.combine(now.date(), end)
    return None


def next_day_start(now: dt.datetime, quiet_hours) -> dt.datetime:
    """The first moment of tomorrow at which an SMS may leave."""
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time())
    return hold_until(midnight, quiet_hours) or midnight
