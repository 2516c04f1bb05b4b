"""The Aliyun callback routes: token, body checks, storage before processing."""

import pytest
from playhouse.schema_diff import diff_models

from app import create_app
from core.config import ConfigError
from core.config import load
from models import MODELS
from models import db
from models.sms import SmsInbox

from .conftest import PHONE
from .conftest import TOKEN

UP = f"/sms/aliyun/{TOKEN}/up"
REPORT = f"/sms/aliyun/{TOKEN}/report"


def test_wrong_token_is_404(client, fake):
    item = fake.up_item(PHONE, "5")
    assert client.post("/sms/aliyun/wrong-token-0123456789/up", json=[item]).status_code == 404
    assert client.post("/sms/aliyun/wrong-token-0123456789/report", json=[item]).status_code == 404
    assert client.get(UP).status_code == 405


@pytest.mark.settings({"sms": {"callback_token": ""}})
def test_empty_token_turns_the_callbacks_off(client, fake):
    assert client.post("/sms/aliyun//up", json=[fake.up_item(PHONE, "5")]).status_code == 404
    assert client.post("/sms/aliyun/x/up", json=[fake.up_item(PHONE, "5")]).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"phone_number": PHONE, "content": "5", "sequence_id": "1"},
        [],
        ["5"],
        [{"phone_number": "1381111****", "content": "5", "sequence_id": "1"}],
        [{"phone_number": PHONE, "content": "5"}],
        [{"phone_number": PHONE, "content": "5", "sequence_id": True}],
        [{"phone_number": PHONE, "content": 5, "sequence_id": "1"}],
        [{"phone_number": PHONE, "content": "x" * 1001, "sequence_id": "1"}],
    ],
)
def test_bad_reply_bodies_are_400_and_store_nothing(app, client, body):
    resp = client.post(UP, json=body)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] in ("invalid_body", "invalid_item")
    with app.app_context(), db.connection_context():
        assert SmsInbox.select().count() == 0


def test_one_bad_item_spoils_the_whole_push(app, client, fake):
    good = fake.up_item(PHONE, "5")
    resp = client.post(UP, json=[good, {"phone_number": PHONE, "content": "5"}])
    assert resp.status_code == 400
    with app.app_context(), db.connection_context():
        assert SmsInbox.select().count() == 0


def test_bad_report_bodies_are_400(client):
    item = {"phone_number": PHONE, "success": "true", "biz_id": "1^0"}
    assert client.post(REPORT, json=[item]).status_code == 400
    assert client.post(REPORT, data="not json", content_type="application/json").status_code == 400


def test_several_items_in_one_push_are_stored_first(app, client, fake):
    items = [fake.up_item(PHONE, "5", sequence_id="1"), fake.up_item("13900139000", "TD", sequence_id="1")]
    resp = client.post(UP, json=items)
    assert resp.get_json() == {"code": 0, "msg": "接收成功"}
    with app.app_context(), db.connection_context():
        assert [row.state for row in SmsInbox.select().order_by(SmsInbox.id)] == ["pending", "pending"]


def test_the_schema_matches_the_models_after_migrating(app):
    with app.app_context(), db.connection_context():
        diff = diff_models(db.obj, MODELS)
        assert not diff, str(diff)


@pytest.mark.parametrize(
    ("sms", "message"),
    [
        ({"callback_token": "short"}, "sms.callback_token"),
        ({"callback_token": "has/slash-0123456789"}, "sms.callback_token"),
        ({"aliyun": {"reminder_template": "T123"}}, "sms.aliyun.reminder_template"),
        ({"aliyun": {"read_timeout_seconds": 0}}, "sms.aliyun.read_timeout_seconds"),
    ],
)
def test_sms_settings_are_validated(sms, message, tmp_path, monkeypatch):
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(ConfigError, match=message):
        load({"sms": sms}, environ={"HCP_CONFIG": str(empty)})


def test_create_app_registers_the_callbacks(settings_overrides):
    app = create_app(settings_overrides)
    assert any(rule.rule == "/sms/aliyun/<token>/up" for rule in app.url_map.iter_rules())
