"""Case-less on-site ratings (a window's or staff member's QR code, the mini program's
scene), bound to what a person cannot reset by clearing cookies.

Who rated is known as strongly as the channel allows: a browser's cookie only
(`browser:` — anonymous, reset at will), a WeChat user (`wx:`), or a phone
verified by an SMS code (`phone:`). On top of the per-rater cap of the rating
core (`ratings.onsite_daily_limit` per window and day, refused beyond), each
rating carries its network — the client's address behind `limits.proxy_hops`,
an IPv6 client by its /64, kept as a keyed hash — and is held (kept, flagged,
left out of every figure until the bureau's review in 刷评审核) when:

- `window_rate`: the window has had more than `ratings.onsite_window_limit`
  case-less ratings within `ratings.onsite_window_minutes`, from anywhere — a
  window serves one citizen at a time;
- `network_burst`: more than `fraud.network_burst_count` of them within
  `fraud.network_burst_minutes` came from this network at this window and
  `fraud.network_burst_share` % or more of them give one level — the pattern of
  one person pressing the same button, whichever browsers or accounts;
- `network_limit` (anonymous ratings only): `ratings.onsite_network_daily_limit`
  anonymous ratings from this network already count at this window today — the
  bound of what a cookie-clearing client gets counted, per window and day.
  Identified raters (WeChat, verified phone) are bounded per person instead.

A staff member's code without a window counts per staff member instead of per
window; its slots have no unique index (the index is on the window), so a
flood at one instant may pass the network limit by the requests in flight —
the burst rule holds such a flood anyway.

The numbers and why they are what they are: config.example.toml, measured by
the hall simulation (tests/ratings/test_hall.py: 44 windows behind one NAT at
opening time, no hold).
"""

import datetime as dt
import ipaddress

from core.crypto import keyring
from core.levels import LEVEL_NAMES
from models import Rating

# Rater references that name a person as strongly as the channel can.
IDENTIFIED = ("wx:", "phone:")
ANONYMOUS = "browser:"
# An IPv6 client gets a /64 from its provider and picks addresses in it at will.
IPV6_PREFIX = 64


def network_of(address: str | None) -> str | None:
    """The keyed hash of the client's network: the IPv4 address, or the IPv6 /64
    (an IPv4-mapped IPv6 address counts as its IPv4 address)."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    network = str(parsed) if parsed.version == 4 else str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", False))
    return keyring().digest("network", network)


def is_anonymous(rater_ref: str | None) -> bool:
    return bool(rater_ref) and rater_ref.startswith(ANONYMOUS)


def holds(rating: Rating, settings) -> dict[str, str]:
    """The patterns this rating (not stored yet) completes at its window: {flag rule: reason}."""
    found: dict[str, str] = {}
    rules, fraud = settings.ratings, settings.fraud
    day, now = rating.onsite_day, rating.created_at
    limit, minutes = rules.onsite_window_limit, rules.onsite_window_minutes
    target = (rating.window_id, rating.staff_id)
    recent = Rating.onsite_levels_since(*target, day, now - dt.timedelta(minutes=minutes), cap=limit + 1)
    if len(recent) + 1 > limit:
        found["window_rate"] = f"此窗口 {minutes} 分钟内已有 {len(recent)} 条现场评价（上限 {limit} 条）"
    if rating.rater_network is not None:
        since = now - dt.timedelta(minutes=fraud.network_burst_minutes)
        levels = Rating.onsite_levels_since(*target, day, since, rating.rater_network) + [rating.level]
        if len(levels) > fraud.network_burst_count:
            share = 100 * levels.count(rating.level) / len(levels)
            if share >= fraud.network_burst_share:
                found["network_burst"] = (
                    f"同一网络 {fraud.network_burst_minutes} 分钟内在此窗口评价 {len(levels)} 条，"
                    f"其中 {share:.0f}% 为“{LEVEL_NAMES[rating.level]}”"
                )
    return found


def network_slot(rating: Rating, limit: int) -> int | None:
    """The next counted slot of an anonymous rating's network at its window today, or None
    when `limit` of them count already (the rating is then held)."""
    used = Rating.network_counted(rating.window_id, rating.staff_id, rating.onsite_day, rating.rater_network)
    return used + 1 if used < limit else None


def network_limit_reason(limit: int) -> str:
    return f"同一网络今日在此窗口已计入 {limit} 条未验证身份的现场评价"
