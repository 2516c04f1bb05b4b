"""Proof fixtures: a live server on an ephemeral port, and the callers of every kind
(API keys of two departments, two mini-program users, SMS callback token)."""

import secrets
import threading

import pytest
from werkzeug.serving import make_server

from cases.intake import upsert_case
from models import db
from tests.wechat.fakes import fake_wx  # noqa: F401 - the fake WeChat server every proof test logs in against
from tests.wechat.fakes import point_at

CALLBACK_TOKEN = "proof-callback-token-0123456789"


@pytest.fixture
def settings_overrides(settings_overrides, fake_wx):  # noqa: F811 - the imported fixture, requested
    settings_overrides["sms"] = {"callback_token": CALLBACK_TOKEN}
    return point_at(settings_overrides, fake_wx)


@pytest.fixture
def world(app, make, client):
    """Master data, a completed case per department, and a logged-in wx user."""
    with app.test_request_context(), db.connection_context():
        police_case, _ = upsert_case(make.case_payload("GA-2026-0001"), make.police)
        social_case, _ = upsert_case(
            make.case_payload(
                "RS-2026-0001",
                item_code="610118-RSJ-001",
                dept_code="RSJ",
                window_code="W05",
                staff_code="S002",
                applicant={"name": "李四", "phone": "13900139000"},
            ),
            make.social,
        )
    make.police_case, make.social_case = police_case, social_case
    make.wx_alice = client.post("/api/wx/login", json={"code": f"alice.{secrets.token_hex(6)}"}).get_json()["token"]
    make.wx_bob = client.post("/api/wx/login", json={"code": f"bob.{secrets.token_hex(6)}"}).get_json()["token"]
    return make


@pytest.fixture
def live(app, world):
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join()


from tests.admin.conftest import login  # noqa: E402,F401
from tests.admin.conftest import staff  # noqa: E402,F401
