"""The upstream part's helpers: the bulk backlog is what the product queues, the
exactly-once check counts what it should, and a small backlog goes end to end
through the real simulator and scheduler processes (correctness only, no timing)."""

import pytest

from bench import upstream as part
from bench.generate import generate
from models import Outbox
from models import Rating
from models import UpstreamPush
from models import Window
from models import db
from models import init_database
from ratings.core import RatingRequest
from ratings.core import submit_rating

COLUMNS = ("kind", "dedupe_key", "payload", "state", "attempts", "available_at", "created_at", "last_error", "sent_at")


def outbox_row(dedupe_key: str) -> tuple:
    return tuple(getattr(Outbox.get(Outbox.dedupe_key == dedupe_key), name) for name in COLUMNS)


def test_the_bulk_backlog_is_the_outbox_row_a_rating_writes(app, database_url):
    generate(database_url, 30, months=1, progress=False)
    assert part.queue_backlog(database_url) == 30
    init_database(database_url)
    with app.app_context(), db.connection_context():
        window = Window.select().order_by(Window.id).first()
        request = RatingRequest(level=4, channel="pad", labels=[], window=window, rater_ref="device:bench-test")
        rating = submit_rating(request).rating
        key = f"rating:{rating.id}"
        written = outbox_row(key)
        Outbox.delete().where(Outbox.dedupe_key == key).execute()
    assert part.queue_backlog(database_url) == 1
    assert part.queue_backlog(database_url) == 0  # once per rating
    init_database(database_url)
    with db.connection_context():
        assert outbox_row(key) == written
        pending = Outbox.select().where((Outbox.kind == "upstream.rating") & (Outbox.state == "pending"))
        assert pending.count() == Rating.select().count() == 31
        # Generated office hours later today are queued as of now, never in the future.
        assert all(row.available_at <= written[5] for row in pending)


def test_the_check_counts_lost_duplicated_and_unaccepted_ratings(app, database_url):
    generate(database_url, 4, months=1, progress=False)
    part.queue_backlog(database_url)
    init_database(database_url)
    with db.connection_context():
        ids = [r.id for r in Rating.select().order_by(Rating.id)]
        for n, rating_id in enumerate(ids[:3]):
            state = "accepted" if n < 2 else "pending"
            UpstreamPush.create(rating=rating_id, eval_id=f"e{n}", state=state)
        Outbox.update(state="sent").where(Outbox.dedupe_key.in_([f"rating:{i}" for i in ids[:2]])).execute()
    verdict = part.check(database_url, ["e0", "e1", "e1", "stranger"])
    assert verdict == {
        "ratings": 4,
        "held": 4,
        "distinct_held": 3,
        "lost": 2,  # e2 is not at the city; the fourth rating has no push at all
        "duplicated": 2,  # "stranger" belongs to no rating; e1 is held twice
        "not_accepted": 2,
        "pending": 2,
    }


@pytest.fixture
def quiet_harness(tmp_path, monkeypatch):
    monkeypatch.setattr(part, "RESULTS", str(tmp_path))
    monkeypatch.setenv("BENCH_MAX_BG_WAIT", "0")  # a test does not wait for a quiet machine
    monkeypatch.setattr(part, "TIMEOUT", 120)


def test_a_small_backlog_reaches_the_simulator_through_the_scheduler_process(database_url, quiet_harness):
    generate(database_url, 120, months=1, progress=False)
    assert part.queue_backlog(database_url) == 120
    from upstream.profile import Profile

    profile = Profile.from_settings(part.settings(part.write_config(database_url, 0, "profile")).upstream)
    records = part.ceiling_records(database_url, profile)
    assert len({r["evalId"] for r in records}) == 120
    ceiling = part.run_ceiling(database_url, records, "ceiling")
    assert ceiling["held"] == 120 and ceiling["batch"] == 50
    result = part.run_product(database_url, 120, "product")
    assert result["seconds"] is not None and result["scheduler_exit"] == 0
    assert (result["lost"], result["duplicated"], result["not_accepted"], result["pending"]) == (0, 0, 0, 0)
    assert result["distinct_held"] == 120 and result["requests"] == 3  # 50 + 50 + 20
    assert result["scheduler_peak_rss_mb"] > 20
    time_row, rate_row, clean_row, rss_row = part.rows("SQLite", 120, result, [ceiling])
    assert time_row.passed and clean_row.passed and clean_row.product == 0
    # The rate against the bare client: the scheduler's start-up weighs in a run this small.
    assert rate_row.unit == "/s" and rate_row.ratio == rate_row.product / rate_row.ceiling
    assert rss_row.unit == "MB" and rss_row.passed is None
