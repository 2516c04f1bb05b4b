"""POST /api/v1/cases/batch in bulk: the same outcome as the single-case path, message by
message, whatever the batch holds (repeats, re-posts, other departments' cases, bad
elements), under a small bound-variable limit and under concurrent batches."""

import random
import threading

import pytest

import cases.batch
import models.bulk as bulk
from core.codes import ALPHABET
from core.codes import CODE_LENGTH
from core.codes import new_rating_code
from models import Case
from models import Invitation
from models import OptOut
from models import Outbox
from models import db

BAD_PHONE_OPTED_OUT = "13900139000"


def _messages(make, prefix: str) -> list:
    """A day of messages from a business system, in order; `prefix` keeps two runs apart."""

    def case(suffix, **changes):
        return make.case_payload(f"{prefix}-{suffix}", **changes)

    accepted = {"status": "accepted", "completed_at": None}
    return [
        case(1, **accepted, applicant={"phone": "13800138001"}),
        case(1),  # completed: the applicant of message 0 is replaced
        case(1, **accepted),  # late: does not re-open it
        case(2, applicant=None),  # no phone: no invitation
        case(2, applicant={"phone": "+86 138-0013-8002", "name": " 李四 "}),  # now one
        case(3, applicant={"phone": BAD_PHONE_OPTED_OUT}),
        case(4, completed_at="2026-09-01T10:00:00+08:00"),  # too late to be rated
        case(5, status="bogus"),
        case(6),  # stored and rated before
        case(7),  # stored by another department
        case(8, applicant={"phone": "13800138008", "name": "王五", "type": "person"}),
        case(8, applicant={"name": "王五五"}),  # keeps the phone
        case(9, **accepted, applicant={"phone": "13800138009"}),
        case(9, completed_at="2026-11-26T09:50:00+08:00"),
        case(9, completed_at="2026-11-26T09:55:00+08:00"),  # the first completion stands
        case(10),  # stored as accepted before, without a phone
        case(11),  # stored and invited before
        case(12, window_code="NOPE"),
        "not an object",
        case(1),
    ]


def _before(client, make, prefix: str) -> None:
    police, social = make.auth(make.police_key), make.auth(make.social_key)
    client.post("/api/v1/cases", json=make.case_payload(f"{prefix}-6", applicant=None), headers=police)
    rated = client.post(
        "/api/v1/ratings", json={"case_no": f"{prefix}-6", "level": 4, "channel": "pad"}, headers=police
    )
    assert rated.status_code == 201
    foreign = make.case_payload(
        f"{prefix}-7", dept_code="RSJ", item_code="610118-RSJ-001", window_code="W05", staff_code="S002"
    )
    assert client.post("/api/v1/cases", json=foreign, headers=social).status_code == 201
    accepted = make.case_payload(f"{prefix}-10", status="accepted", completed_at=None, applicant=None)
    assert client.post("/api/v1/cases", json=accepted, headers=police).status_code == 201
    assert client.post("/api/v1/cases", json=make.case_payload(f"{prefix}-11"), headers=police).status_code == 201


def _no_retry(exc):
    raise AssertionError(f"the batch ran again after {exc!r}")


def _answer(result: dict) -> tuple:
    if "error" in result:
        return result["status"], result["error"]["code"]
    return result["status"], result["invitation"], result["case_no"].split("-", 1)[1]


def _stored(prefix: str) -> dict:
    """What is stored per case of the run, without the run's own identities."""
    out = {}
    for case in Case.select().where(Case.case_no.startswith(f"{prefix}-")):
        invitations = list(Invitation.select().where(Invitation.case == case))
        outbox = [
            (row.kind, row.state, row.attempts, row.available_at, row.data)
            for inv in invitations
            for row in Outbox.select().where(Outbox.dedupe_key == f"invite:{inv.id}")
        ]
        out[case.case_no.split("-", 1)[1]] = {
            "case": (case.department_id, case.item_id, case.hall_id, case.window_id, case.staff_id, case.mode),
            "state": (case.status, case.accepted_at, case.completed_at, case.created_at, case.updated_at),
            "applicant": (
                case.applicant_name,
                case.applicant_phone,
                case.applicant_phone_hash,
                case.applicant_type,
                case.applicant_id_number,
            ),
            "invitations": [(inv.channel, inv.state, inv.send_after, inv.attempts) for inv in invitations],
            "outbox": [(kind, state, n, at, sorted(data)) for kind, state, n, at, data in outbox],
            "outbox_ids": [data.get("invitation_id") for *_, data in outbox],
            "invitation_ids": [inv.id for inv in invitations],
        }
    return out


@pytest.mark.settings({"sms": {"invite_delay_minutes": 30}})
def test_a_batch_answers_and_stores_what_the_single_path_does_message_by_message(client, make, monkeypatch):
    with db.connection_context():
        OptOut.create(phone=BAD_PHONE_OPTED_OUT)
    police = make.auth(make.police_key)
    _before(client, make, "S")
    _before(client, make, "B")

    single = []
    for message in _messages(make, "S"):
        response = client.post("/api/v1/cases", json=message, headers=police)
        single.append({"status": response.status_code, **response.get_json()})
    # Without a concurrent writer the batch runs once.
    monkeypatch.setattr(cases.batch, "_lost_race", _no_retry)
    response = client.post("/api/v1/cases/batch", json=_messages(make, "B"), headers=police)
    assert response.status_code == 200
    batch = response.get_json()

    assert [r["index"] for r in batch] == list(range(len(batch)))
    assert [_answer(r) for r in batch] == [_answer(r) for r in single]
    assert [_answer(r)[:2] for r in batch] == [
        (201, "none"),
        (200, "scheduled"),
        (200, "scheduled"),
        (201, "none"),
        (200, "scheduled"),
        (201, "opted_out"),
        (201, "none"),
        (422, "invalid_status"),
        (200, "already_rated"),
        (403, "forbidden_department"),
        (201, "scheduled"),
        (200, "scheduled"),
        (201, "none"),
        (200, "scheduled"),
        (200, "scheduled"),
        (200, "scheduled"),
        (200, "scheduled"),
        (422, "unknown_window"),
        (422, "invalid_body"),
        (200, "scheduled"),
    ]
    codes = {r["case_no"]: r["rating_code"] for r in batch if "rating_code" in r}
    assert all(r["rating_code"] == codes[r["case_no"]] for r in batch if "rating_code" in r)
    with db.connection_context():
        stored_single, stored_batch = _stored("S"), _stored("B")
        for run in (stored_single, stored_batch):
            for row in run.values():
                assert row.pop("outbox_ids") == row.pop("invitation_ids")
        assert stored_batch == stored_single
        assert set(stored_batch) == {"1", "2", "3", "4", "6", "7", "8", "9", "10", "11"}
        nine = Case.by_case_no("B-9")
        assert nine.completed_at.isoformat() == "2026-11-26T09:50:00"
        assert Invitation.for_case(nine).send_after.isoformat() == "2026-11-26T10:20:00"
        assert Case.by_case_no("B-8").applicant_phone == "13800138008"
        assert Case.by_case_no("B-7").department.code == "RSJ"


def test_a_case_number_taken_between_look_and_insert_is_updated_not_duplicated(client, make, monkeypatch):
    headers = make.auth(make.police_key)
    winner = client.post("/api/v1/cases", json=make.case_payload("L-1"), headers=headers).get_json()
    read = Case.stored_numbers.__func__
    calls = []

    def blind_first_look(cls, case_nos):
        calls.append(list(case_nos))
        # The first look misses the winner's case, as if it committed just after it.
        return {} if len(calls) == 1 else read(cls, case_nos)

    monkeypatch.setattr(Case, "stored_numbers", classmethod(blind_first_look))
    monkeypatch.setattr(cases.batch, "_lost_race", _no_retry)
    payload = [make.case_payload(f"L-{n}") for n in range(3)]
    results = client.post("/api/v1/cases/batch", json=payload, headers=headers).get_json()
    answers = [(r["status"], r["invitation"]) for r in results]
    assert answers == [(201, "scheduled"), (200, "scheduled"), (201, "scheduled")]
    assert results[1]["rating_code"] == winner["rating_code"]
    # The INSERT returns the rows it wrote; the one it skipped is looked at again, alone.
    assert calls == [["L-0", "L-1", "L-2"], ["L-1"]]
    with db.connection_context():
        assert Case.select().count() == 3
        assert Invitation.select().count() == 3 and Outbox.select().count() == 3


def test_a_batch_rolled_back_by_a_conflict_runs_again(client, make, monkeypatch):
    """A rating code drawn twice (one in 2^45) violates its unique key: the batch is rolled
    back and runs again with new codes, nothing half-written."""
    headers = make.auth(make.police_key)
    taken = client.post("/api/v1/cases", json=make.case_payload("T-0"), headers=headers).get_json()["rating_code"]
    draws = iter([taken])
    monkeypatch.setattr(cases.batch, "new_rating_code", lambda: next(draws, None) or new_rating_code())
    payload = [make.case_payload(f"T-{n}") for n in range(1, 4)]
    results = client.post("/api/v1/cases/batch", json=payload, headers=headers).get_json()
    assert [(r["status"], r["invitation"]) for r in results] == [(201, "scheduled")] * 3
    assert taken not in {r["rating_code"] for r in results}
    with db.connection_context():
        assert Case.select().count() == 4
        assert Invitation.select().count() == 4 and Outbox.select().count() == 4


def test_a_re_post_changing_the_phone_updates_the_lookup_hash(client, make):
    headers = make.auth(make.police_key)
    payload = [make.case_payload(f"P-{n}", applicant={"phone": f"1380013{n:04d}"}) for n in range(20)]
    assert {r["status"] for r in client.post("/api/v1/cases/batch", json=payload, headers=headers).get_json()} == {201}
    changed = [make.case_payload(f"P-{n}", applicant={"phone": f"1390013{n:04d}"}) for n in range(20)]
    again = client.post("/api/v1/cases/batch", json=changed, headers=headers).get_json()
    assert {(r["status"], r["invitation"]) for r in again} == {(200, "scheduled")}
    with db.connection_context():
        assert Case.select().count() == 20
        assert Invitation.select().count() == 20 and Outbox.select().count() == 20
        assert [c.case_no for c in Case.of_phone("13900130007")] == ["P-7"]
        assert not Case.of_phone("13800130007").exists()
        # Stored encrypted, not in clear.
        raw = db.execute_sql('SELECT "applicant_phone" FROM "case" WHERE "case_no" = \'P-7\'').fetchone()[0]
        assert "13900130007" not in raw


def test_statements_split_under_a_small_variable_limit(client, make, monkeypatch):
    # 40 variables: two case rows per INSERT, 40 case numbers per IN list.
    monkeypatch.setattr(bulk, "max_variables", lambda: 40)
    headers = make.auth(make.police_key)
    payload = [make.case_payload(f"V-{n}", applicant={"phone": f"1380013{n:04d}"}) for n in range(150)]
    payload += [make.case_payload(f"V-{n}", status="accepted") for n in range(0, 150, 3)]
    results = client.post("/api/v1/cases/batch", json=payload, headers=headers).get_json()
    assert [r["status"] for r in results] == [201] * 150 + [200] * 50
    again = client.post("/api/v1/cases/batch", json=payload[:150], headers=headers).get_json()
    assert {(r["status"], r["invitation"]) for r in again} == {(200, "scheduled")}
    with db.connection_context():
        assert Case.select().count() == 150
        assert Case.select().where(Case.status == "completed").count() == 150
        assert Invitation.select().count() == 150
        outbox_ids = sorted(row.data["invitation_id"] for row in Outbox.select())
        assert outbox_ids == sorted(inv.id for inv in Invitation.select())


def test_concurrent_overlapping_batches_store_each_case_once(app, make):
    """Four clients at once, each batch overlapping its neighbours' by half: every case is
    answered 201 exactly once, and stored once with one invitation and one outbox row."""
    clients, size = 4, 60
    barrier = threading.Barrier(clients)
    answers, errors = [], []

    def client_thread(n):
        client = app.test_client()
        payload = [
            make.case_payload(f"C-{k}", applicant={"phone": f"1380013{k:04d}"})
            for k in range(n * size // 2, n * size // 2 + size)
        ]
        barrier.wait()
        response = client.post("/api/v1/cases/batch", json=payload, headers=make.auth(make.police_key))
        if response.status_code != 200:
            errors.append((response.status_code, response.get_data(as_text=True)[:200]))
        else:
            answers.extend(response.get_json())

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    distinct = (clients + 1) * size // 2
    assert len(answers) == clients * size
    assert {(r["status"], r["invitation"]) for r in answers} <= {(201, "scheduled"), (200, "scheduled")}
    assert sorted(r["case_no"] for r in answers if r["status"] == 201) == sorted(f"C-{k}" for k in range(distinct))
    with db.connection_context():
        assert Case.select().count() == distinct
        assert Invitation.select().count() == distinct
        assert Outbox.select().where(Outbox.kind == "sms.invite").count() == distinct


def test_rating_codes_draw_every_symbol_evenly():
    codes = [new_rating_code() for _ in range(2000)]
    assert all(len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) for code in codes)
    counts = {symbol: 0 for symbol in ALPHABET}
    for code in codes:
        for symbol in code:
            counts[symbol] += 1
    # 18,000 symbols, 562 expected each: a lost bit would leave half the alphabet unused.
    assert min(counts.values()) > 400 and max(counts.values()) < 750
    # Every position varies (no symbol stuck by a shift error).
    assert all(len({code[i] for code in codes}) == len(ALPHABET) for i in range(CODE_LENGTH))


def test_concurrent_shuffled_batches_over_stored_and_new_cases(app, make):
    """Clients sending the same cases in different orders, half of them stored before:
    however their writes interleave, no batch fails and each case is stored once."""
    police = make.auth(make.police_key)
    pool = [make.case_payload(f"M-{k}", applicant={"phone": f"1380013{k:04d}"}) for k in range(80)]
    setup = app.test_client().post("/api/v1/cases/batch", json=pool[::2], headers=police)
    assert {r["status"] for r in setup.get_json()} == {201}
    clients, rounds = 4, 3
    barrier = threading.Barrier(clients)
    created, errors = [], []

    def client_thread(n):
        client = app.test_client()
        rng = random.Random(n)
        for _ in range(rounds):
            payload = rng.sample(pool, 40)
            barrier.wait()
            response = client.post("/api/v1/cases/batch", json=payload, headers=police)
            if response.status_code != 200:
                errors.append((response.status_code, response.get_data(as_text=True)[:300]))
                continue
            for result in response.get_json():
                if result["status"] == 201:
                    created.append(result["case_no"])
                elif result["status"] != 200:
                    errors.append(result)

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(created) == len(set(created)) and not set(created) & {p["case_no"] for p in pool[::2]}
    with db.connection_context():
        assert Case.select().count() == 40 + len(created)
        assert Invitation.select().count() == Case.select().count()
        assert Outbox.select().where(Outbox.kind == "sms.invite").count() == Case.select().count()


def test_the_case_rollup_counts_what_batches_store(client, make):
    """The rollup's triggers see the bulk INSERTs and UPDATEs as they see single cases."""
    from tests.perf.test_case_rollup import expected
    from tests.perf.test_case_rollup import stored

    headers = make.auth(make.police_key)
    accepted = {"status": "accepted", "completed_at": None}
    first = [make.case_payload(f"U-{n}", **(accepted if n % 3 else {})) for n in range(30)]
    second = [make.case_payload(f"U-{n}", completed_at=f"2026-11-2{n % 4}T09:00:00+08:00") for n in range(0, 40, 2)]
    for payload in (first, first + second, second):
        assert client.post("/api/v1/cases/batch", json=payload, headers=headers).status_code == 200
    with db.connection_context():
        assert stored() == expected()
        # Completed: the even numbers 0–38 and the odd multiples of 3 below 30.
        assert sum(n for (_, _, kind), n in expected().items() if kind == "completed") == 25
        assert Case.select().count() == 35
