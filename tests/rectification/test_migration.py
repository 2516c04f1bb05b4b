"""Migration 0004: the migrated schema is exactly the models' schema."""

from playhouse.schema_diff import diff_models

from models import MODELS
from models import db


def test_migrated_schema_matches_models(ctx):
    diff = diff_models(db.obj, MODELS)
    assert not diff, str(diff)


def test_ticket_workflow_tables_exist(ctx):
    tables = set(db.get_tables())
    assert {"ticket_event", "ledger_item", "ticket_contact", "notification"} <= tables
    columns = {c.name for c in db.get_columns("ticket")}
    assert {"assignee_id", "resolved_at", "followup_result", "reopen_count"} <= columns
