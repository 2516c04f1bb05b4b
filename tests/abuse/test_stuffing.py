"""Ballot stuffing on a window's QR page by a client that drops its cookie before every
post, from one address: at most the configured number counts per window and day, the rest
is kept but held (flagged, out of every figure) and waits in the bureau's review queue."""

import datetime as dt
import re
import threading

import pytest

from core import clock
from models import Rating
from models import RatingFlag
from models import Staff
from models import Window
from models import db
from tests.admin.conftest import login  # noqa: F401
from tests.admin.conftest import staff  # noqa: F401
from tests.web.helpers import csrf_from

from ..conftest import NOW

ATTACKER = "198.51.100.23"
LEVELS = (5, 4, 5, 3, 5, 4, 2, 5, 4, 1)  # mixed, as a careful attacker would vary them


def post(app, scene="w:W04", level=1, environ=None, headers=None):
    """One post from a browser that never had a cookie (a fresh test client)."""
    environ = environ or {"REMOTE_ADDR": ATTACKER}
    browser = app.test_client()
    form = browser.get(f"/q/{scene}", environ_base=environ, headers=headers)
    assert form.status_code == 200
    data = {"csrf_token": csrf_from(form.get_data(as_text=True)), "level": str(level)}
    if level <= 2:
        data["labels"] = "201" if level == 2 else "101"
    res = browser.post(f"/q/{scene}", data=data, environ_base=environ, headers=headers)
    assert res.status_code == 303, res.get_data(as_text=True)
    return browser.get(res.headers["Location"], environ_base=environ, headers=headers).get_data(as_text=True)


def tally(window_code="W04"):
    with db.connection_context():
        window = Window.by_code(window_code)
        ratings = list(Rating.select().where(Rating.window == window))
    return sum(not r.excluded for r in ratings), sum(r.excluded for r in ratings)


def test_a_rapid_stuffer_gets_nothing_counted(app, make, login, capsys):  # noqa: F811
    """The attack as reported: 12 level-1 ratings in 0.4 s, a fresh cookie each."""
    pages = []
    for n in range(12):
        clock.freeze(NOW + dt.timedelta(milliseconds=33 * n))
        pages.append(post(app, level=1))
    counted, held = tally()
    with capsys.disabled():
        print(f"\nrapid stuffing: 12 attempts, {counted} counted, {held} held")
    # The seventh completes a burst (more than 6 within 5 minutes, one level): the pattern is held,
    # the six before it with it.
    assert (counted, held) == (0, 12)
    with db.connection_context():
        flags = list(RatingFlag.select())
        assert len(flags) == 12 and all("network_burst" in f.rule_codes for f in flags)
        assert all(r.excluded_reason.startswith("疑似刷评，待审核") for r in Rating.select())
    # Whoever posted is told calmly that the rating counts after a check; no accusation.
    assert 'id="held"' not in pages[0] and 'id="held"' in pages[-1]
    assert "核实后计入统计结果" in pages[-1] and "刷评" not in pages[-1]
    # Kept and visible to the bureau in the review queue (刷评审核).
    bureau = login("bureau")
    queue = bureau.get("/admin/flags").get_data(as_text=True)
    assert "待审核 12 条" in queue and queue.count("同一网络短时间内集中给出相同评价") == 12


@pytest.mark.settings({"limits": {"enabled": False}})  # the request limiter counts real seconds: a day in one
def test_a_slow_stuffer_gets_at_most_the_daily_limit_counted(app, make, login, capsys):  # noqa: F811
    """Spread over the day and varied, the posts look like a window's real pace: the daily limit per
    network and window is what bounds them."""
    limit = app.config["SETTINGS"].ratings.onsite_network_daily_limit
    attempts = limit + 20
    for n in range(attempts):
        clock.freeze(NOW.replace(hour=8) + dt.timedelta(minutes=4 * n))
        post(app, level=LEVELS[n % len(LEVELS)])
    counted, held = tally()
    with capsys.disabled():
        print(f"slow stuffing: {attempts} attempts over {4 * attempts // 60} h, {counted} counted, {held} held")
    assert (counted, held) == (limit, attempts - limit)
    with db.connection_context():
        assert {tuple(f.rule_codes) for f in RatingFlag.select()} == {("network_limit",)}
        assert Rating.select().where(Rating.network_slot.is_null(False)).count() == limit
    bureau = login("bureau")
    queue = bureau.get("/admin/flags?state=pending").get_data(as_text=True)
    assert f"待审核 {attempts - limit} 条" in queue and "同一网络当日在此窗口的评价超过上限" in queue
    # The next window has a budget of its own, and so has the next day.
    post(app, scene="w:W05", level=5)
    assert tally("W05") == (1, 0)
    clock.freeze(NOW + dt.timedelta(days=1))
    post(app, level=5)
    assert tally() == (limit + 1, attempts - limit)


@pytest.mark.settings({"ratings": {"onsite_network_daily_limit": 3}, "limits": {"proxy_hops": 1}})
def test_behind_the_proxy_the_address_nginx_saw_binds_not_a_forged_header(app, make):
    for n in range(5):
        clock.freeze(NOW + dt.timedelta(minutes=5 * n))
        forged = {"X-Forwarded-For": f"10.9.{n}.{n}, {ATTACKER}"}
        post(app, level=5, environ={"REMOTE_ADDR": "127.0.0.1"}, headers=forged)
    assert tally() == (3, 2)


@pytest.mark.settings({"ratings": {"onsite_network_daily_limit": 3}})
def test_an_ipv6_client_is_bound_by_its_64(app, make):
    for n in range(5):
        clock.freeze(NOW + dt.timedelta(minutes=5 * n))
        post(app, level=5, environ={"REMOTE_ADDR": f"2001:db8:77:1::{n + 1:x}"})
    assert tally() == (3, 2)
    post(app, level=5, environ={"REMOTE_ADDR": "2001:db8:77:2::1"})  # another /64: another network
    assert tally() == (4, 2)


@pytest.mark.settings({"ratings": {"onsite_network_daily_limit": 4}})
def test_simultaneous_posts_never_count_more_than_the_limit(app, make):
    barrier = threading.Barrier(8)

    def worker(n):
        barrier.wait()
        post(app, level=LEVELS[n])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    counted, held = tally()
    assert counted + held == 8 and counted <= 4


@pytest.mark.settings({"ratings": {"onsite_window_limit": 3}})
def test_more_ratings_at_a_window_than_it_can_serve_are_held_from_any_address(app, make):
    for n in range(5):
        clock.freeze(NOW + dt.timedelta(minutes=n))
        post(app, level=LEVELS[n], environ={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
    assert tally() == (3, 2)
    with db.connection_context():
        reasons = [f.reason for f in RatingFlag.select()]
    assert all(re.search(r"此窗口 10 分钟内已有 \d+ 条现场评价", reason) for reason in reasons)


@pytest.mark.settings({"ratings": {"onsite_network_daily_limit": 2}})
def test_a_staff_members_code_without_a_window_is_bound_per_staff_member(app, make):
    with db.connection_context():
        Staff.create(code="S009", name="赵帮办", department=make.police, window=None)
    for n in range(3):
        clock.freeze(NOW + dt.timedelta(minutes=7 * n))
        post(app, scene="s:S009", level=LEVELS[n])
    with db.connection_context():
        ratings = list(Rating.select().where(Rating.staff == Staff.by_code("S009")))
    assert [r.excluded for r in ratings] == [False, False, True]
