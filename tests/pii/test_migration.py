"""Migration 0008 on a database of an earlier version: every stored name,
phone and ID number encrypted, the hashes filled, the schema as the models."""

from playhouse.schema_diff import diff_models

from core.crypto import phone_hash
from figures import case_rollup
from figures import ticket_rollup
from figures import triggers
from models import MODELS
from models import Case
from models import OptOut
from models import db
from models.migrate import runner
from models.sms import SmsInbox
from sms.inbox import store_callback

from .conftest import CLEAR_VALUES
from .conftest import CONTACT
from .conftest import EVERYTHING
from .conftest import ID_NUMBER
from .conftest import NAME
from .conftest import OPTED_OUT
from .conftest import PHONE
from .conftest import everything_stored
from .conftest import raw
from .conftest import read_everything


def run_0008(direction: str) -> None:
    """Apply 0008 (or revert it) alone, as the runner would, leaving other migrations as they are."""
    migrations = runner()
    [migration] = [m for m in migrations.migrations() if m.name == "0008_pii"]
    module = migration.load()
    with db.connection_context(), migrations.migrator.migration_context():
        # The case and ticket rollups (0011, 0013) came later: their triggers name `case`, which
        # SQLite rebuilds here, so they are off while 0008 runs out of its order.
        for kept in (case_rollup, ticket_rollup):
            triggers.uninstall(kept)
        getattr(module, direction)(migrations.migrator, db.obj)
        for kept in (case_rollup, ticket_rollup):
            triggers.install(kept)


def test_an_upgraded_database_has_its_personal_data_encrypted(app, populate):
    populate()
    run_0008("down")  # the clear columns of the version before
    with db.connection_context():
        stored = everything_stored()
        assert all(value in stored for value in (PHONE, NAME, ID_NUMBER, CONTACT, OPTED_OUT))
        assert f"up:{PHONE}:7" in [key for (key,) in raw("sms_inbox", "dedupe_key")]
        assert diff_models(db.obj, MODELS)  # no hash columns yet
    run_0008("up")
    with app.test_request_context(), db.connection_context():
        stored = everything_stored()
        assert not [value for value in CLEAR_VALUES if value in stored]
        assert not diff_models(db.obj, MODELS)
        assert read_everything() == EVERYTHING
        assert raw("case", "applicant_phone_hash") == [(phone_hash(PHONE),)]
        assert Case.of_phone(PHONE).exists() and OptOut.has(OPTED_OUT)
        # A callback pushed again after the upgrade is still the one stored before it.
        store_callback("up", [{"phone_number": PHONE, "content": "5 很好", "sequence_id": "7"}])
        assert SmsInbox.select().count() == 2
