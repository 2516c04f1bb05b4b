"""Race safety with real threads: the database constraint decides, not luck."""

import threading

from models import Case
from models import Rating
from models import Ticket
from models import db

THREADS = 8


def race(app, make, body_for):
    """Fire THREADS requests at once; returns their (status, body) pairs."""
    barrier = threading.Barrier(THREADS)
    results = []
    lock = threading.Lock()

    def worker(n):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/ratings", json=body_for(n), headers=make.auth(make.police_key))
        with lock:
            results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_simultaneous_first_ratings_give_one_201_and_the_rest_409(app, client, make):
    client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
    results = race(app, make, lambda n: {"case_no": "GA-2026-0001", "level": 1 + n % 5, "channel": "pad"})
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"already_rated"}
    with db.connection_context():
        assert Rating.select().count() == 1
        rating = Rating.get()
        assert Ticket.select().count() == (1 if rating.is_bad else 0)


def test_simultaneous_case_reports_create_one_case(app, make):
    barrier = threading.Barrier(THREADS)
    statuses = []

    def worker():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/cases", json=make.case_payload(), headers=make.auth(make.police_key))
        statuses.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] * (THREADS - statuses.count(201)) + [201] * statuses.count(201)
    assert statuses.count(201) == 1
    with db.connection_context():
        assert Case.select().count() == 1


def test_simultaneous_onsite_ratings_respect_the_daily_cap(app, make):
    """Eight citizens' worth of taps from one rater at one window: exactly the cap gets through."""
    from ratings.core import RatingRequest
    from ratings.core import submit_rating

    barrier = threading.Barrier(THREADS)
    outcomes = []

    def worker():
        with app.app_context(), db.connection_context():
            barrier.wait()
            try:
                submit_rating(RatingRequest(level=5, channel="qr", window=make.police_window, rater_ref="wx:same"))
                outcomes.append("ok")
            except Exception as exc:  # noqa: BLE001 - the test records what each thread got
                outcomes.append(getattr(exc, "code", repr(exc)))

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("ok") == 3, outcomes
    assert set(outcomes) == {"ok", "rating_limit_reached"}
    with db.connection_context():
        assert Rating.select().count() == 3
