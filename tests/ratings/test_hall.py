"""The on-site limits, measured: a busy hall behind one NAT is never held.

44 windows at opening time, every citizen on the hall's Wi-Fi (one public address), each
phone a fresh browser (no cookie to tell them apart): the traffic of `hall.py`. The
morning (9:00–12:00) goes through the real window pages (`/q/<scene>`, GET then POST,
the address as the app sees it); the whole day through the rating core, for the daily
limit per network. Nothing may be held. The rate limiter is off: it counts real seconds,
and this test replays three hours in a few.
"""

import datetime as dt

import pytest

from core import clock
from models import Hall
from models import Rating
from models import RatingFlag
from models import Window
from models import db
from ratings.core import RatingRequest
from ratings.core import submit_rating
from tests.web.helpers import csrf_from

from . import hall

DAY = dt.date(2026, 11, 26)
# Of 300 simulated days, the mornings with the densest peaks at one window (173: 6 ratings within
# 5 minutes; 241: 8 within 10) and the days with the busiest window (185: 73 ratings) and the
# densest whole-day peaks (93: 6 in 5 minutes, 8 in 10).
MORNINGS = (173, 241)
DAYS = (185, 93)
pytestmark = pytest.mark.settings({"limits": {"enabled": False}})


@pytest.fixture
def windows(make):
    """The 44 windows of the hall, each its department's (the police's, for the test)."""
    with db.connection_context():
        big = Hall.create(code="HALL44", name="市民之家（44 窗口）", department=make.bureau)
        return [
            Window.create(code=f"H{n:02d}", name=f"{n + 1}号窗口", hall=big, department=make.police)
            for n in range(hall.WINDOWS)
        ]


@pytest.mark.parametrize("seed", MORNINGS)
def test_a_hall_of_44_windows_behind_one_nat_at_opening_time_is_not_held(app, make, windows, capsys, seed):
    visits = hall.traffic(DAY, seed, until=dt.time(12, 0))
    nat = {"REMOTE_ADDR": hall.NAT}
    accepted = 0
    for visit in visits:
        clock.freeze(visit.at)
        browser = app.test_client()  # a phone of its own: no cookie shared with anyone
        url = f"/q/w:{windows[visit.window].code}"
        form = browser.get(url, environ_base=nat)
        assert form.status_code == 200
        data = {"csrf_token": csrf_from(form.get_data(as_text=True)), "level": str(visit.level)}
        if visit.level <= 2:
            data["labels"] = "201" if visit.level == 2 else "101"
        res = browser.post(url, data=data, environ_base=nat)
        assert res.status_code == 303, res.get_data(as_text=True)
        thanks = browser.get(res.headers["Location"], environ_base=nat).get_data(as_text=True)
        assert 'id="held"' not in thanks
        accepted += 1
    with db.connection_context():
        held = RatingFlag.select().count()
        stored = Rating.select().where(Rating.channel == "qr").count()
        networks = {r.rater_network for r in Rating.select(Rating.rater_network)}
    with capsys.disabled():
        print(
            f"\nNAT hall (seed {seed}), opening 9:00–12:00: {len(visits)} ratings at {hall.WINDOWS} windows "
            "from one address, "
            f"busiest window {hall.daily_max(visits)}, peak {hall.peaks(visits, 10)} in 10 min and "
            f"{hall.peaks(visits, 5)} in 5 min at one window; false holds: {held}"
        )
    assert (accepted, stored) == (len(visits), len(visits))
    assert len(networks) == 1  # one address: the network binding saw them all as one client
    assert held == 0


@pytest.mark.parametrize("seed", DAYS)
def test_the_whole_day_stays_under_the_daily_limit_per_network(app, make, windows, capsys, seed):
    visits = hall.traffic(DAY, seed)
    with app.app_context(), db.connection_context():
        for n, visit in enumerate(visits):
            clock.freeze(visit.at)
            labels = ["201"] if visit.level == 2 else ["101"] if visit.level == 1 else []
            result = submit_rating(
                RatingRequest(
                    level=visit.level,
                    channel="qr",
                    labels=labels,
                    window=windows[visit.window],
                    rater_ref=f"browser:hall-{n}",
                    client_ip=hall.NAT,
                )
            )
            assert not result.held, (visit, result.rating.excluded_reason)
        held = RatingFlag.select().count()
        limit = app.config["SETTINGS"].ratings.onsite_network_daily_limit
    with capsys.disabled():
        print(
            f"\nNAT hall (seed {seed}), whole day: {len(visits)} ratings, busiest window {hall.daily_max(visits)} "
            f"(daily limit per network {limit}); false holds: {held}"
        )
    assert held == 0 and hall.daily_max(visits) < limit


@pytest.mark.settings({"ratings": {"onsite_window_limit": 5}, "fraud": {"network_burst_count": 4}})
def test_limits_tighter_than_measured_would_hold_real_citizens(app, make, windows, capsys):
    """The same morning under tighter limits: the measurement is what keeps the defaults where they are."""
    visits = hall.traffic(DAY, MORNINGS[0], until=dt.time(12, 0))
    with app.app_context(), db.connection_context():
        for n, visit in enumerate(visits):
            clock.freeze(visit.at)
            labels = ["201"] if visit.level == 2 else ["101"] if visit.level == 1 else []
            request = RatingRequest(
                level=visit.level,
                channel="qr",
                labels=labels,
                window=windows[visit.window],
                rater_ref=f"browser:hall-{n}",
                client_ip=hall.NAT,
            )
            submit_rating(request)
        held = RatingFlag.select().count()
    with capsys.disabled():
        print(f"\nNAT hall (seed {MORNINGS[0]}) under 5 per 10 min and bursts over 4: {held} of {len(visits)} held")
    assert held > 0
