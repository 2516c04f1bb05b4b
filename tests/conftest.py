"""Fixtures: a fresh database per test on the backend named by HCP_TEST_DB.

    HCP_TEST_DB=sqlite      (default) a temp-file SQLite database per test
    HCP_TEST_DB=postgresql  HCP_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/hcp_test),
                            migrated once, every table truncated before each test

PostgreSQL that cannot be reached fails the run; it is never skipped.
"""

import datetime
import os
import shutil

import psycopg2
import pytest
from psycopg2 import sql

from app import create_app
from core import clock
from models import MODELS
from models import db
from models import init_database
from models.migrate import migrate
from sms import lanes

from .factories import Factory

NOW = datetime.datetime(2026, 11, 26, 10, 0, 0)
BACKEND = os.environ.get("HCP_TEST_DB", "sqlite")
PG_URL = os.environ.get("HCP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/hcp_test")


def pytest_report_header(config):
    return f"database backend: {BACKEND}" + (f" ({PG_URL})" if BACKEND == "postgresql" else "")


def _ensure_pg_database(url: str) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    try:
        conn = psycopg2.connect(
            dbname="postgres",
            user=parsed.username,
            password=parsed.password,
            host=parsed.hostname,
            port=parsed.port or 5432,
            connect_timeout=5,
        )
    except psycopg2.OperationalError as exc:
        pytest.exit(f"PostgreSQL at {parsed.hostname}:{parsed.port or 5432} is unreachable: {exc}", returncode=3)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """The migrated database every test starts from."""
    if BACKEND == "postgresql":
        _ensure_pg_database(PG_URL)
        database = init_database(PG_URL)
        with db.connection_context():
            tables = db.get_tables()
            if tables:
                db.execute_sql("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        migrate()
        database.close_all()
        return PG_URL
    if BACKEND != "sqlite":
        pytest.exit(f"HCP_TEST_DB must be sqlite or postgresql, not {BACKEND!r}", returncode=4)
    path = tmp_path_factory.mktemp("template") / "template.db"
    init_database(f"sqlite:///{path}")
    migrate()
    db.obj.close_all()  # and waits for a background checkpoint of the migrations' commits
    with db.connection_context():
        busy, _, _ = db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    db.obj.close_all()
    assert busy == 0, "the template's WAL could not be folded in: its copies would lack the schema"
    return str(path)


@pytest.fixture
def database_url(template_db, tmp_path):
    if BACKEND == "postgresql":
        init_database(template_db)
        names = ", ".join(f'"{m._meta.table_name}"' for m in MODELS)
        with db.connection_context():
            db.execute_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        db.obj.close_all()
        return template_db
    path = tmp_path / "hcp.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings_overrides(request, database_url):
    """Per-test configuration; `@pytest.mark.settings({...})` adds to it."""
    overrides = {
        # No gc.freeze: the suite builds an app per test, and a frozen one would never be freed.
        "app": {"secret_key": "test-secret", "base_url": "https://hcp.example.cn", "freeze_heap": False},
        "database": {"url": database_url},
        # The inbox in one lane, in the test's process; tests/sms/test_inbox_lanes.py runs lanes.
        "sms": {"inbox_lanes": 1},
    }
    marker = request.node.get_closest_marker("settings")
    if marker is not None:
        for section, values in marker.args[0].items():
            overrides.setdefault(section, {}).update(values)
    return overrides


def only_this_config(monkeypatch, config_path, workdir) -> None:
    """The app under test reads `config_path` and nothing of this shell's HCP_* settings (but
    which database the suite runs on), from `workdir`."""
    for name in list(os.environ):
        if name.startswith("HCP_") and name not in ("HCP_TEST_DB", "HCP_TEST_PG_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HCP_CONFIG", str(config_path))
    monkeypatch.chdir(workdir)


@pytest.fixture
def app(settings_overrides, tmp_path, monkeypatch):
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    only_this_config(monkeypatch, empty, tmp_path)
    # Tests run on a fixed Beijing time; a test that needs another moves it.
    clock.freeze(NOW)
    application = create_app(settings_overrides)
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        lanes.close()  # the SMS lane workers a test started
    clock.freeze(None)
    db.obj.close_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An app context with an open connection, for calling services directly."""
    with app.app_context(), db.connection_context():
        yield


@pytest.fixture
def make(app):
    """Row factories and master data (see tests/factories.py)."""
    with app.app_context(), db.connection_context():
        factory = Factory()
        factory.master_data()
    return factory
