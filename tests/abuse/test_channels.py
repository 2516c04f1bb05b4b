"""Every channel passes what fraud screening needs: the client IP, the phone, the openid, the device."""

from models import Rating
from models import RatingFlag
from models import db
from tests.web.helpers import create_case
from tests.web.helpers import csrf_from
from tests.web.helpers import fill
from wechat.fake import FakeWeChat

from .conftest import OFFICER_PHONE


def test_the_qr_page_passes_the_client_ip(app, client, make, register):
    register(make.officer, "network", "10.12.0.0/16")
    staff_net = {"REMOTE_ADDR": "10.12.3.4"}
    page = client.get("/q/w:W04", environ_base=staff_net)
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "level": "5"}
    assert client.post("/q/w:W04", data=data, environ_base=staff_net).status_code == 303
    with db.connection_context():
        flag = RatingFlag.get()
        assert flag.rule_codes == ["staff_network"] and flag.rating.channel == "qr"


def test_the_qr_page_refuses_the_staff_members_own_phone(app, client, make, register):
    register(make.officer, "phone", OFFICER_PHONE)
    res = fill(client, "/q/s:S001", level="5", phone=OFFICER_PHONE)
    assert res.status_code == 422 and "工作人员不能评价本人经办的办件" in res.get_data(as_text=True)
    with db.connection_context():
        assert Rating.select().count() == 0


def test_the_sms_link_of_a_case_with_the_handlers_phone_is_refused(app, client, make, register):
    register(make.officer, "phone", OFFICER_PHONE)
    code = create_case(client, make, applicant={"name": "王敏", "phone": OFFICER_PHONE, "type": "person"})
    res = fill(client, f"/r/{code}", level="5")
    assert res.status_code == 422 and "工作人员不能评价本人经办的办件" in res.get_data(as_text=True)
    with db.connection_context():
        assert Rating.select().count() == 0


def test_the_mini_program_refuses_the_handlers_openid(app, client, make, register):
    code = create_case(client, make)
    register(make.officer, "openid", FakeWeChat.openid_for("officer"))
    token = client.post("/api/wx/login", json={"code": "officer.1"}).get_json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    res = client.post("/api/wx/ratings", json={"code": code, "level": 5}, headers=auth)
    assert res.status_code == 403
    assert res.get_json()["error"]["code"] == "staff_cannot_rate_own_case"
    # The same user rating a colleague's window from a staff network: flagged.
    register(make.clerk, "network", "10.20.0.0/16")
    res = client.post(
        "/api/wx/ratings", json={"scene": "w:W05", "level": 5}, headers=auth, environ_base={"REMOTE_ADDR": "10.20.0.5"}
    )
    assert res.status_code == 201
    with db.connection_context():
        assert RatingFlag.get().rule_codes == ["staff_identity", "staff_network"]


def test_the_api_refuses_a_staff_device_on_own_cases(app, client, make, register):
    register(make.officer, "device", "PC-GAJ-07")
    create_case(client, make)
    body = {"case_no": "GA-2026-0001", "level": 5, "channel": "pc", "device_id": "PC-GAJ-07"}
    res = client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key))
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "staff_cannot_rate_own_case"
    body["device_id"] = "PAD-W04"
    assert client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key)).status_code == 201
