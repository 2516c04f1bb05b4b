"""Signatures as the contract defines them, the SM options, and the simulator's checks."""

import hashlib
import hmac
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from gmssl import sm2

from upstream.signing import Signer
from upstream.signing import hmac_sm3
from upstream.simulator import Server
from upstream.simulator import Simulator
from upstream.simulator import validate

from .conftest import APP_ID
from .conftest import APP_SECRET

SM2_PRIVATE = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8"
SM4_KEY = "0123456789abcdeffedcba9876543210"


def sm2_public(private_hex: str) -> str:
    curve = sm2.CryptSM2(private_key=private_hex, public_key="")
    return curve._kg(int(private_hex, 16), sm2.default_ecc_table["g"])


def test_the_default_signature_is_hmac_sha256_over_app_id_timestamp_nonce_body():
    signer = Signer("hmac-sha256", APP_ID, APP_SECRET)
    body = signer.encode_body({"records": [{"evalId": "1", "deptName": "区公安分局"}]})
    assert body == '{"records":[{"evalId":"1","deptName":"区公安分局"}]}'.encode()
    headers = signer.headers(body)
    expected = hmac.new(
        APP_SECRET.encode(), (APP_ID + headers["X-Timestamp"] + headers["X-Nonce"]).encode() + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Signature"] == expected
    assert headers["X-App-Id"] == APP_ID
    assert abs(int(headers["X-Timestamp"]) - time.time()) < 5


def test_hmac_sm3_matches_an_independent_implementation():
    for key in (b"key", b"k" * 100):
        reference = crypto_hmac.HMAC(key, hashes.SM3())
        reference.update(b"message")
        assert hmac_sm3(key, b"message") == reference.finalize().hex()


@pytest.mark.parametrize("method", ["hmac-sha256", "hmac-sm3", "sm2-sm3", "sm2-sm3+sm4"])
def test_every_method_verifies_its_own_signature_and_refuses_a_changed_body(method):
    signer = Signer(method, APP_ID, APP_SECRET, SM2_PRIVATE, sm2_public(SM2_PRIVATE), SM4_KEY)
    body = signer.encode_body({"records": [{"evalId": "1"}]})
    headers = signer.headers(body)
    assert signer.check(headers["X-Timestamp"], headers["X-Nonce"], body, headers["X-Signature"])
    assert not signer.check(headers["X-Timestamp"], headers["X-Nonce"], body + b" ", headers["X-Signature"])
    assert signer.decode_body(body) == {"records": [{"evalId": "1"}]}
    if method.endswith("+sm4"):
        assert b"evalId" not in body  # encrypted on the wire


@pytest.fixture
def server():
    with Server(Simulator(Signer("hmac-sha256", APP_ID, APP_SECRET))) as running:
        yield running


def post(server, payload, signer=None, headers=None):
    signer = signer or Signer("hmac-sha256", APP_ID, APP_SECRET)
    body = signer.encode_body(payload)
    sent = signer.headers(body)
    sent.update(headers or {})
    return requests.post(server.url, data=body, headers=sent, timeout=5)


RECORD = {
    "evalId": "610118-1",
    "projectNo": "GA-1",
    "taskCode": "T1",
    "taskName": "居民身份证换领",
    "deptCode": "GAJ",
    "deptName": "区公安分局",
    "areaCode": "610118",
    "pf": 4,
    "satisfaction": 5,
    "evalDetail": "501,502",
    "writingEvaluation": "",
    "assessTime": "2026-11-26 10:00:00",
    "assessNumber": 1,
    "dataSource": "133",
}


def test_the_simulator_refuses_wrong_signatures_stale_timestamps_and_replayed_nonces(server):
    assert post(server, {"records": [RECORD]}, signer=Signer("hmac-sha256", APP_ID, "wrong")).status_code == 401
    stale = post(server, {"records": [RECORD]}, headers={"X-Timestamp": str(int(time.time()) - 3600)})
    assert stale.status_code == 401
    signer = Signer("hmac-sha256", APP_ID, APP_SECRET)
    body = signer.encode_body({"records": [RECORD]})
    headers = signer.headers(body)
    assert requests.post(server.url, data=body, headers=headers, timeout=5).json()["accepted"] == ["610118-1"]
    replay = requests.post(server.url, data=body, headers=headers, timeout=5)
    assert replay.status_code == 401 and "重放" in replay.json()["message"]
    assert server.simulator.stats["bad_signature"] == 3


def test_the_simulator_forgets_nonces_only_once_they_are_outside_the_timestamp_window(server):
    simulator = server.simulator
    now = time.time()
    simulator.nonces = {"old": now - 301, "recent": now - 10}
    assert post(server, {"records": [RECORD]}).status_code == 200
    assert "old" not in simulator.nonces and "recent" in simulator.nonces
    assert len(simulator.nonces) == 2  # "recent" and this request's


def test_the_simulator_stores_once_and_answers_duplicates_as_accepted(server):
    first = post(server, {"records": [RECORD]}).json()
    again = post(server, {"records": [RECORD, dict(RECORD, evalId="610118-2")]}).json()
    assert first == {"code": "200", "accepted": ["610118-1"], "rejected": []}
    assert again["accepted"] == ["610118-1", "610118-2"]
    assert len(server.simulator.records) == 2
    assert server.simulator.stats["duplicates"] == 1
    listed = requests.get(server.base + "/_sim/records", timeout=5).json()
    assert {r["evalId"] for r in listed["records"]} == {"610118-1", "610118-2"}
    # What the benchmark polls: the count without the records, and the evalIds alone.
    stats = requests.get(server.base + "/_sim/stats", timeout=5).json()
    assert stats["count"] == 2 and stats["stats"]["duplicates"] == 1 and "records" not in stats
    assert sorted(requests.get(server.base + "/_sim/eval-ids", timeout=5).json()["evalIds"]) == ["610118-1", "610118-2"]
    day = requests.get(server.query_url, params={"date": "2026-11-26"}, timeout=5)
    assert day.status_code == 401  # the query is signed too


def test_the_simulator_rejects_bad_records_with_a_reason(server):
    bad = [
        dict(RECORD, evalId="a", pf=9),
        dict(RECORD, evalId="b", satisfaction=0),
        dict(RECORD, evalId="c", assessTime="2026/11/26"),
        dict(RECORD, evalId="d", dataSource=""),
        dict(RECORD, evalId="e", assessNumber=2, projectNo=""),
    ]
    answer = post(server, {"records": bad}).json()
    assert answer["accepted"] == []
    reasons = {r["evalId"]: r["reason"] for r in answer["rejected"]}
    assert reasons == {
        "a": "pf 评价渠道代码无效",
        "b": "satisfaction 满意度代码无效",
        "c": "assessTime 格式应为 yyyy-MM-dd HH:mm:ss",
        "d": "dataSource 缺失",
        "e": "追评必须有办件编号 projectNo",
    }
    assert server.simulator.records == {}
    assert post(server, {"records": []}).status_code == 400
    assert validate(RECORD) is None


def test_failure_injection_knobs_can_be_set_over_http(server):
    assert requests.post(server.base + "/_sim/config", json={"fail_rate": 1}, timeout=5).json() == {"ok": True}
    assert post(server, {"records": [RECORD]}).status_code == 503
    requests.post(server.base + "/_sim/config", json={"fail_rate": 0, "drop_rate": 1}, timeout=5)
    with pytest.raises(requests.ConnectionError):
        post(server, {"records": [RECORD]})
    assert len(server.simulator.records) == 1  # stored, then the answer was dropped
    requests.post(server.base + "/_sim/reset", timeout=5)
    assert server.simulator.records == {}


def test_an_sm4_encrypted_sm2_signed_push_is_understood_by_a_simulator_of_that_profile():
    public = sm2_public(SM2_PRIVATE)
    client_signer = Signer("sm2-sm3+sm4", APP_ID, "", SM2_PRIVATE, public, SM4_KEY)
    # The city holds only our public key and the shared SM4 key.
    with Server(Simulator(Signer("sm2-sm3+sm4", APP_ID, "", "", public, SM4_KEY))) as running:
        answer = post(running, {"records": [RECORD]}, signer=client_signer)
        assert answer.json()["accepted"] == ["610118-1"]
        assert running.simulator.records["610118-1"]["deptName"] == "区公安分局"
