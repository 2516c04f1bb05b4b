"""Versioned migrations: from an empty database to the models, on both backends."""

from playhouse.schema_diff import diff_models

from models import MODELS
from models import db
from models.db import is_postgres
from models.migrate import migrate
from models.migrate import pending
from models.migrate import runner


def test_migrated_schema_matches_the_models(app):
    with db.connection_context():
        diff = diff_models(db.obj, MODELS)
    assert not diff, f"models and migrations disagree:\n{diff}"


def test_migrating_an_empty_database(app):
    # Drop everything, as on a fresh machine, then migrate from nothing.
    with db.connection_context():
        tables = db.get_tables()
        if is_postgres():
            db.execute_sql("DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        else:
            db.execute_sql("PRAGMA foreign_keys = OFF")
            for table in tables:
                db.execute_sql(f'DROP TABLE "{table}"')
            db.execute_sql("PRAGMA foreign_keys = ON")
        assert db.get_tables() == []
    assert pending()
    applied = migrate()
    assert applied[0] == "0001_initial"
    with db.connection_context():
        tables = set(db.get_tables())
        assert {m._meta.table_name for m in MODELS} <= tables
        assert "schema_migration" in tables
        assert not diff_models(db.obj, MODELS)
    # Running again applies nothing.
    assert migrate() == []
    assert pending() == []


def test_every_migration_file_is_recorded(app):
    with db.connection_context():
        status = runner().status()
    assert status and all(m.applied for m in status), status
