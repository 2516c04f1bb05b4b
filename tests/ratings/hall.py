"""A busy hall behind one NAT: the genuine traffic the on-site limits must never hold.

The model (鄠邑市民之家 at its busiest; every number errs on the side of more traffic):

- 44 windows. At opening (9:00) citizens have queued since before the doors opened, so
  every window serves back to back from the first minute, all day (lunch 12:00–13:00 aside).
- Service times are log-normal per window kind: quick windows (社保卡、公积金提取, a quarter
  of them) median 4 min, most windows median 7 min, slow ones (不动产、工程建设, 15 %)
  median 15 min; σ = 0.5, and never under 1.5 min (identity check, system entry).
- Half of the citizens served rate on the window's QR code (national practice is far
  lower; a half is the worst case), all of them on the hall's Wi-Fi: one public address
  (the NAT), each phone its own fresh browser. They rate 0.3–4 min after their service.
- One in ten brings a companion who rates the same service too, within a minute.
- Levels as a well-run hall gets them: 78 % 非常满意, 14 % 满意, 5 % 基本满意, 2 % 不满意,
  1 % 非常不满意 — mostly one level, which is exactly what a burst rule must not mistake.
"""

import datetime as dt
import math
import random
from dataclasses import dataclass

WINDOWS = 44
NAT = "203.0.113.7"  # the hall's one public address (TEST-NET-3)
OPENING = dt.time(9, 0)
LUNCH = (dt.time(12, 0), dt.time(13, 0))
CLOSING = dt.time(17, 0)
KINDS = ((0.25, 4.0), (0.60, 7.0), (0.15, 15.0))  # (share of windows, median service minutes)
SIGMA = 0.5
MIN_SERVICE = 1.5
RATE_SHARE = 0.5
COMPANION_SHARE = 0.1
LEVELS = ((5, 0.78), (4, 0.14), (3, 0.05), (2, 0.02), (1, 0.01))


@dataclass(frozen=True)
class Visit:
    at: dt.datetime
    window: int  # 0 … WINDOWS-1
    level: int


def traffic(day: dt.date, seed: int, until: dt.time | None = None) -> list[Visit]:
    """Every on-site rating of the day (the ratings before `until`: the same day, cut), in time order."""
    rng = random.Random(seed)
    visits = []
    for window in range(WINDOWS):
        median = _median(rng)
        for start, end in ((OPENING, LUNCH[0]), (LUNCH[1], CLOSING)):
            at = dt.datetime.combine(day, start)
            stop = dt.datetime.combine(day, end)
            while True:
                at += dt.timedelta(minutes=max(MIN_SERVICE, rng.lognormvariate(math.log(median), SIGMA)))
                if at >= stop:
                    break
                if rng.random() < RATE_SHARE:
                    rated = at + dt.timedelta(minutes=rng.uniform(0.3, 4))
                    visits.append(Visit(rated, window, _level(rng)))
                    if rng.random() < COMPANION_SHARE:
                        visits.append(Visit(rated + dt.timedelta(minutes=rng.uniform(0, 1)), window, _level(rng)))
    if until is not None:
        visits = [visit for visit in visits if visit.at.time() < until]
    return sorted(visits, key=lambda visit: visit.at)


def _median(rng) -> float:
    pick, total = rng.random(), 0.0
    for share, median in KINDS:
        total += share
        if pick < total:
            return median
    return KINDS[-1][1]


def _level(rng) -> int:
    pick, total = rng.random(), 0.0
    for level, share in LEVELS:
        total += share
        if pick < total:
            return level
    return LEVELS[-1][0]


def peaks(visits: list[Visit], minutes: int) -> int:
    """The most ratings one window got within any `minutes`."""
    best = 0
    by_window: dict = {}
    for visit in visits:
        by_window.setdefault(visit.window, []).append(visit.at)
    span = dt.timedelta(minutes=minutes)
    for times in by_window.values():
        first = 0
        for last, at in enumerate(times):
            while at - times[first] >= span:
                first += 1
            best = max(best, last - first + 1)
    return best


def daily_max(visits: list[Visit]) -> int:
    counts: dict = {}
    for visit in visits:
        counts[visit.window] = counts.get(visit.window, 0) + 1
    return max(counts.values())
