"""The keys: from the configuration or the instance folder, refused when
malformed, rotated without losing a value, and a new lookup key rehashed."""

import os
import stat

import pytest

from app import create_app
from core import config
from core.config import ConfigError
from core.crypto import PiiKeyError
from core.crypto import keyring
from core.crypto import phone_hash
from models import Case
from models import OptOut
from models import db
from models.sms import SmsInbox
from models.sms import SmsMessage
from ops.pii_keys import status
from sms.inbox import store_callback

from .conftest import EVERYTHING
from .conftest import OPTED_OUT
from .conftest import PHONE
from .conftest import new_key
from .conftest import new_lookup_key
from .conftest import read_everything

A, B = new_key("a2026"), new_key("b2027")
LOOKUP = new_lookup_key()


def with_keys(settings_overrides, keys, lookup=LOOKUP):
    return create_app({**settings_overrides, "pii": {"keys": keys, "lookup_key": lookup}})


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=["pii", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "pii, message",
    [
        ({"keys": ["no-colon"], "lookup_key": LOOKUP}, "pii.keys: entry 1 is not"),
        ({"keys": [A, "b:c2hvcnQ="], "lookup_key": LOOKUP}, "pii.keys: entry 2 is not"),
        ({"keys": ["bad id!:" + A.split(":")[1]], "lookup_key": LOOKUP}, "pii.keys: entry 1 is not"),
        ({"keys": [A, A], "lookup_key": LOOKUP}, "pii.keys: key id 'a2026' is listed twice"),
        ({"keys": [A]}, "pii.lookup_key: required when pii.keys is set"),
        ({"lookup_key": LOOKUP}, "pii.keys: required when pii.lookup_key is set"),
        ({"keys": [A], "lookup_key": "c2hvcnQ="}, "pii.lookup_key: expected base64 of 32 bytes"),
        ({"retention_days": 30}, "pii.retention_days: 30 is outside 31..3650"),
    ],
)
def test_malformed_keys_stop_the_start_naming_the_key_not_the_secret(pii, message, tmp_path):
    with pytest.raises(ConfigError, match=message) as err:
        config.load({"pii": pii}, {})
    assert A.split(":")[1] not in str(err.value)


def test_keys_come_from_the_environment_first_one_current():
    environ = {"HCP_PII_KEYS": f"{B}, {A}", "HCP_PII_LOOKUP_KEY": LOOKUP}
    settings = config.load(None, environ)
    assert settings.pii["keys"] == [B, A] and settings.pii.lookup_key == LOOKUP
    with pytest.raises(ConfigError, match="pii.keys: entry 1"):
        config.load(None, {"HCP_PII_KEYS": "a2026:secret", "HCP_PII_LOOKUP_KEY": LOOKUP})


def test_without_configured_keys_local_ones_are_kept_in_the_instance_folder(app, settings_overrides, tmp_path):
    first = keyring()
    assert first.current == "local"
    for name in ("pii_key", "pii_lookup_key"):
        path = tmp_path / "instance" / name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # A second process (or a restart) uses the same keys.
    create_app(settings_overrides)
    assert keyring().digest("phone", PHONE) == first.digest("phone", PHONE)
    assert keyring().decrypt(first.encrypt(PHONE, "x"), "x") == PHONE


@pytest.mark.settings({"pii": {"keys": [A], "lookup_key": LOOKUP}})
def test_rotation_re_encrypts_everything_and_old_keys_stay_readable_until_then(app, populate, settings_overrides):
    populate()
    assert keyring().current == "a2026"
    rotated = with_keys(settings_overrides, [B, A])
    with rotated.app_context(), db.connection_context():
        assert read_everything() == EVERYTHING  # the old key still opens what it wrote
        before = status()
        assert before["case.applicant_phone"] == {"a2026": 1} and before["outbox.payload.phone"] == {"a2026": 1}
    assert "a2026=1" in cli(rotated, "status")
    output = cli(rotated, "rotate", "--batch", "1")
    assert (
        "re-encrypted under b2027" in output and "case.applicant_phone=1" in output and "sms_inbox.payload=2" in output
    )
    assert "nothing to do" in cli(rotated, "rotate")  # idempotent
    with rotated.app_context(), db.connection_context():
        assert all(set(by_key) <= {"b2027"} for by_key in status().values())
        assert Case.of_phone(PHONE).exists()  # the lookup key did not change: hashes still match
    # The old key can now be dropped …
    with_keys(settings_overrides, [B])
    with db.connection_context():
        assert read_everything() == EVERYTHING
    # … and a process that lacks the new key says which one it needs.
    with_keys(settings_overrides, [A])
    with db.connection_context(), pytest.raises(PiiKeyError, match="'b2027', which pii.keys does not list"):
        Case.get()


@pytest.mark.settings({"pii": {"keys": [A], "lookup_key": LOOKUP}})
def test_a_new_lookup_key_needs_a_rehash(app, populate, settings_overrides):
    populate()
    rehashed = with_keys(settings_overrides, [A], lookup=new_lookup_key())
    with rehashed.app_context(), db.connection_context():
        assert not Case.of_phone(PHONE).exists() and not OptOut.has(OPTED_OUT)
    output = cli(rehashed, "rehash")
    assert "case.applicant_phone_hash=1" in output and "sms_inbox.dedupe_key=2" in output
    assert "nothing to do" in cli(rehashed, "rehash")
    with rehashed.test_request_context(), db.connection_context():
        assert Case.of_phone(PHONE).exists() and OptOut.has(OPTED_OUT)
        assert SmsMessage.get().phone_hash == phone_hash(PHONE)
        # A callback pushed again is still recognised as the same one.
        store_callback("up", [{"phone_number": PHONE, "content": "5 很好", "sequence_id": "7"}])
        assert SmsInbox.select().count() == 2


def test_new_key_prints_keys_the_configuration_accepts(runner):
    output = runner.invoke(args=["pii", "new-key", "--id", "k2027"]).output
    key = output.split("HCP_PII_KEYS): ")[1].split()[0]
    lookup = output.split("rehash`): ")[1].split()[0]
    assert key.startswith("k2027:")
    assert config.load({"pii": {"keys": [key], "lookup_key": lookup}}, {}).pii["keys"] == [key]
    assert runner.invoke(args=["pii", "new-key", "--id", "no good"]).exit_code != 0
