"""Migration 0005 creates exactly the models' tables, columns and indexes."""

from playhouse.schema_diff import diff_models

from models import MODELS
from models import db
from models.migrate import runner


def test_migrations_match_the_models(app):
    with db.connection_context():
        diff = diff_models(db.obj, MODELS)
        assert not diff, diff
        applied = [m.name for m in runner().status() if m.applied]
    assert "0005_upstream" in applied
