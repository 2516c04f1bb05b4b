"""Lost PostgreSQL connections: a request is retried once on a fresh connection, or
answers 503 with Retry-After; never a 500, and every 201 is stored.

These run on PostgreSQL whichever backend the suite runs on (HCP_TEST_PG_URL, the
engineer's own database): SQLite has no connection to lose. Backends are terminated
only in that database (`datname = current_database()`), never the killer's own.
"""

import threading
import time

import psycopg2
import pytest
import requests
from peewee import InterfaceError
from peewee import OperationalError
from werkzeug.serving import make_server

from models import MODELS
from models import Case
from models import Rating
from models import db
from models import init_database
from models.migrate import migrate
from models.pools import connection_lost
from tests.conftest import PG_URL
from tests.conftest import _ensure_pg_database

# The victims are chosen first (MATERIALIZED): in one WHERE, PostgreSQL may call
# pg_terminate_backend before it has filtered out the killer's own session.
KILL = (
    "WITH victims AS MATERIALIZED (SELECT pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()) "
    "SELECT array_agg(pid) FROM victims WHERE pg_terminate_backend(pid)"
)


@pytest.fixture
def database_url(template_db):
    """PostgreSQL, migrated and emptied, on either run of the suite."""
    _ensure_pg_database(PG_URL)
    database = init_database(PG_URL)
    migrate()
    with db.connection_context():
        db.execute_sql("TRUNCATE " + ", ".join(f'"{m._meta.table_name}"' for m in MODELS) + " RESTART IDENTITY CASCADE")
    database.close_all()
    return PG_URL


@pytest.fixture
def settings_overrides(settings_overrides):
    settings_overrides["limits"] = {"enabled": False}
    return settings_overrides


def kill_all(wait: bool = True) -> int:
    """Terminate every other backend of our database; with `wait`, until they are gone
    (termination is a signal: a query sent at once may still be answered)."""
    conn = psycopg2.connect(PG_URL, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(KILL)
            pids = cur.fetchone()[0] or []
            deadline = time.monotonic() + 5
            while wait and pids and time.monotonic() < deadline:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,))
                if cur.fetchone()[0] == 0:
                    break
                time.sleep(0.01)
            return len(pids)
    finally:
        conn.close()


@pytest.fixture
def live(app, make):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def rating(live, make, session=requests):
    return session.post(
        live + "/api/v1/ratings",
        json={"window_code": "W04", "level": 4, "channel": "kiosk"},
        headers=make.auth(make.police_key),
        timeout=30,
    )


def test_a_request_on_a_dead_pooled_connection_runs_again_on_a_fresh_one(live, make, caplog):
    assert rating(live, make).status_code == 201  # the connection now idles in the pool
    assert kill_all() >= 1
    response = rating(live, make)
    assert response.status_code == 201, response.text
    assert "running it again on a fresh one" in caplog.text
    with db.connection_context():
        assert Rating.select().count() == 2


def test_the_loss_is_recognised_in_every_form():
    conn = psycopg2.connect(PG_URL, connect_timeout=5)
    kill_all()
    with pytest.raises(psycopg2.Error) as lost:
        conn.cursor().execute("SELECT 1")
    assert connection_lost(lost.value)
    assert connection_lost(OperationalError(lost.value))  # as peewee wraps it
    try:
        raise InterfaceError("connection already closed") from lost.value
    except InterfaceError as exc:
        assert connection_lost(exc)
    assert not connection_lost(OperationalError(psycopg2.errors.UniqueViolation("duplicate key")))
    assert not connection_lost(ValueError("server closed the connection"))  # not a driver error


def test_a_unit_that_sent_a_write_is_not_repeated(app, make):
    database = db.obj
    with db.connection_context():
        database.start_unit()
        Rating.select().count()
        assert not database.may_have_written()
        with db.atomic():
            Case.select().count()
        assert database.may_have_written()  # a COMMIT was sent
        database.start_unit()
        db.execute_sql("UPDATE api_key SET label = label WHERE id = 0")
        assert database.may_have_written()  # autocommit


def test_terminating_every_backend_under_load_gives_no_500_and_loses_no_201(live, make):
    stop = threading.Event()
    results, kills = [], []
    lock = threading.Lock()

    def client(n):
        session = requests.Session()
        serial = 0
        while not stop.is_set():
            serial += 1
            if serial % 2:
                response = rating(live, make, session)
                kind, key = "rating", None
            else:
                case_no = f"GA-KILL-{n}-{serial}"
                response = session.post(
                    live + "/api/v1/cases",
                    json=make.case_payload(case_no),
                    headers=make.auth(make.police_key),
                    timeout=30,
                )
                kind, key = "case", case_no
            body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
            with lock:
                results.append((kind, response.status_code, body.get("rating_id") if kind == "rating" else key))

    def killer():
        while not stop.wait(0.4):
            killed = kill_all(wait=False)
            if killed:
                kills.append(killed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)] + [threading.Thread(target=killer)]
    for thread in threads:
        thread.start()
    time.sleep(8)
    stop.set()
    for thread in threads:
        thread.join()

    statuses = {}
    for _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"connection kills: {len(kills)} rounds, {sum(kills)} backends; {len(results)} requests: {statuses}")
    assert len(kills) >= 5, "the killer found no product connection to terminate"
    assert set(statuses) <= {200, 201, 503}, statuses
    assert statuses.get(201, 0) > len(results) // 2
    stored_ratings = [rid for kind, status, rid in results if kind == "rating" and status == 201]
    stored_cases = [key for kind, status, key in results if kind == "case" and status == 201]
    with db.connection_context():
        assert Rating.select().where(Rating.id.in_(stored_ratings)).count() == len(stored_ratings)
        assert Case.select().where(Case.case_no.in_(stored_cases)).count() == len(stored_cases)


def lose_connection():
    """A job whose connection dies under it (tests the runner's handling)."""
    with db.connection_context():
        kill_all()
        db.execute_sql("SELECT 1")


def test_a_job_that_loses_its_connection_drops_the_idle_ones(app, make):
    from jobs.runner import JobSpec
    from jobs.runner import run_job

    def hold():
        with db.connection_context():
            db.execute_sql("SELECT 1")
            both.wait(5)

    both = threading.Barrier(2)
    threads = [threading.Thread(target=hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    idle_before = [conn for _, _, conn in db.obj._connections]  # held: no new one can take their place
    assert len(idle_before) == 2 and not any(conn.closed for conn in idle_before)
    assert run_job(app, JobSpec("test.lost", "tests.ops.test_connection_loss:lose_connection", every=60)) is None
    # Both dead connections are closed and out of the pool, not handed to the next job.
    assert all(conn.closed for conn in idle_before)
    idle_after = [conn for _, _, conn in db.obj._connections]
    assert not any(old is new for old in idle_before for new in idle_after)
