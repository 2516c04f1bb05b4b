"""The mini program's secrets at rest: each user's session_key and the shared access
token are stored encrypted with the personal-data keys, read back in clear, and
migration 0025 encrypts what an earlier version stored in clear."""

from models import WxToken
from models import WxUser
from models import db
from models.migrate import runner
from wechat.client import get_client


def raw(table: str, column: str) -> list:
    return [row[0] for row in db.execute_sql(f'SELECT "{column}" FROM "{table}"').fetchall()]  # noqa: S608


def run_0025(direction: str) -> None:
    migrations = runner()
    [migration] = [m for m in migrations.migrations() if m.name == "0025_wechat_secrets"]
    with db.connection_context(), migrations.migrator.migration_context():
        getattr(migration.load(), direction)(migrations.migrator, db.obj)


def logged_in(app, client, fake_wx) -> tuple[str, str]:
    assert client.post("/api/wx/login", json={"code": "alice.secret-test"}).status_code == 200
    with app.test_request_context(), db.connection_context():
        token = get_client().access_token  # fetched through the fake and kept in wx_token
        user = WxUser.get()
        return user.session_key, token


def test_session_key_and_access_token_are_stored_encrypted(app, client, make, fake_wx):
    session_key, token = logged_in(app, client, fake_wx)
    assert session_key and token
    with db.connection_context():
        stored_key, stored_token = raw("wx_user", "session_key")[0], raw("wx_token", "value")[0]
        assert session_key not in stored_key and token not in stored_token
        assert stored_key.startswith("local:") and stored_token.startswith("local:")
        assert WxUser.get().session_key == session_key and WxToken.get().value == token


def test_migration_0025_encrypts_what_was_stored_in_clear(app, client, make, fake_wx):
    session_key, token = logged_in(app, client, fake_wx)
    run_0025("down")
    with db.connection_context():
        assert raw("wx_user", "session_key") == [session_key] and raw("wx_token", "value") == [token]
    run_0025("up")
    with db.connection_context():
        assert session_key not in raw("wx_user", "session_key")[0]
        assert WxUser.get().session_key == session_key and WxToken.get().value == token
