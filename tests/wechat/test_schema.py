"""Migration 0003 builds exactly the tables the WeChat models describe."""

from playhouse.schema_diff import diff_models

from models import MODELS
from models import db


def test_migrated_schema_matches_the_models(ctx):
    assert all(not part for part in diff_models(db.obj, MODELS)), diff_models(db.obj, MODELS)
    for table in ("wx_user", "wx_token", "wx_subscription", "wxa_code", "rater_contact"):
        assert table in db.get_tables()
