"""Personal data at rest: encrypted in every table, readable in clear through
the models, found by its lookup hash, and refused where a lookup would fail."""

import json

import pytest

from core.crypto import PiiKeyError
from core.crypto import keyring
from core.crypto import phone_hash
from models import Case
from models import OptOut
from models import Outbox
from models import RaterContact
from models import db
from models.sms import SmsInbox
from models.sms import SmsMessage

from .conftest import CLEAR_VALUES
from .conftest import CONTACT
from .conftest import ID_NUMBER
from .conftest import NAME
from .conftest import OPTED_OUT
from .conftest import PHONE
from .conftest import everything_stored
from .conftest import raw
from .conftest import store_raw


def test_no_table_holds_a_name_phone_or_id_number_in_clear(populate, opened):
    populate()
    opened()
    stored = everything_stored()
    for value in CLEAR_VALUES:
        assert value not in stored
    # … while the models read them back in clear.
    case = Case.get()
    assert (case.applicant_name, case.applicant_phone, case.applicant_id_number) == (NAME, PHONE, ID_NUMBER)
    assert RaterContact.get().phone == CONTACT
    assert OptOut.get().phone == OPTED_OUT
    assert SmsMessage.get().phone == PHONE
    inbox = {row.kind: row.data for row in SmsInbox.select()}
    assert (inbox["up"]["phone_number"], inbox["up"]["content"]) == (PHONE, "5 很好")
    assert Outbox.get(Outbox.kind == "sms.message").data["phone"] == PHONE


def test_values_are_ciphertexts_of_the_current_key_with_their_lookup_hash(populate, opened):
    populate()
    opened()
    [(name, phone, id_number, digest)] = raw(
        "case", "applicant_name", "applicant_phone", "applicant_id_number", "applicant_phone_hash"
    )
    current = keyring().current
    assert all(value.startswith(f"{current}:") for value in (name, phone, id_number))
    # The same value encrypts differently each time (random nonce): nothing to compare or count.
    assert len({phone, raw("sms_message", "phone")[0][0]}) == 2
    assert digest == phone_hash(PHONE) == phone_hash("+86 138-0013-8000") == raw("sms_message", "phone_hash")[0][0]
    assert raw("opt_out", "phone_hash") == [(phone_hash(OPTED_OUT),)]
    # The callbacks' dedupe keys name the number by its hash only.
    keys = sorted(key for (key,) in raw("sms_inbox", "dedupe_key"))
    assert keys == [f"report:9^0:{phone_hash(PHONE)}", f"up:{phone_hash(PHONE)}:7"]
    payload = json.loads(raw("outbox", "payload")[-1][0])
    assert "phone" not in payload and payload["phone_enc"].startswith(f"{current}:")


def test_lookups_by_phone_use_the_hash(populate, opened):
    populate()
    opened()
    assert [c.case_no for c in Case.of_phone("138 0013 8000")] == ["GA-2026-0001"]
    assert not Case.of_phone("13800138001").exists()
    assert OptOut.has(OPTED_OUT) and OptOut.has("+8613700137000") and not OptOut.has(PHONE)
    assert SmsMessage.capped_count(PHONE, Case.get().created_at.date()) == 1


def test_an_encrypted_field_refuses_a_comparison_that_could_never_match(ctx):
    with pytest.raises(TypeError, match="applicant_phone_hash == phone_hash"):
        Case.select().where(Case.applicant_phone == PHONE)
    with pytest.raises(TypeError, match="encrypted"):
        Case.select().where(Case.applicant_name.in_([NAME]))
    with pytest.raises(TypeError, match="encrypted"):
        OptOut.get_or_none(phone=PHONE)
    with pytest.raises(TypeError, match="encrypted"):
        RaterContact.select().where(RaterContact.phone.startswith("139"))
    # Null tests stay possible.
    assert Case.select().where(Case.applicant_phone.is_null(False)).count() == 0
    assert Case.select().where(Case.applicant_phone == None).count() == 0  # noqa: E711


def test_every_write_path_keeps_the_hash(ctx, make):
    base = {"item": make.id_card, "department": make.police, "status": "completed"}
    case = Case.create(case_no="A", rating_code="AAAAAAAAA", applicant_phone=PHONE, **base)
    assert case.applicant_phone_hash == phone_hash(PHONE)
    case.applicant_phone = CONTACT
    case.save()
    assert raw("case", "applicant_phone_hash") == [(phone_hash(CONTACT),)]
    Case.update(applicant_phone=OPTED_OUT).where(Case.id == case.id).execute()
    Case.update({Case.applicant_phone: PHONE}).where(Case.id == case.id).execute()
    assert raw("case", "applicant_phone_hash") == [(phone_hash(PHONE),)]
    Case.insert(case_no="B", rating_code="BBBBBBBBB", applicant_phone=CONTACT, **base).execute()
    Case.insert_many([{"case_no": "C", "rating_code": "CCCCCCCCC", "applicant_phone": OPTED_OUT, **base}]).execute()
    fields = [Case.case_no, Case.rating_code, Case.item, Case.department, Case.applicant_phone]
    Case.insert_many([("D", "DDDDDDDDD", make.id_card, make.police, PHONE)], fields=fields).execute()
    Case.insert_many(
        [("E", "EEEEEEEEE", make.id_card.id, make.police.id, None)],
        fields=["case_no", "rating_code", "item", "department", "applicant_phone"],
    ).execute()
    hashes = dict(Case.select(Case.case_no, Case.applicant_phone_hash).tuples())
    assert hashes == {
        "A": phone_hash(PHONE),
        "B": phone_hash(CONTACT),
        "C": phone_hash(OPTED_OUT),
        "D": phone_hash(PHONE),
        "E": None,
    }
    Case.update(applicant_phone=None).where(Case.case_no == "A").execute()
    assert Case.get(Case.case_no == "A").applicant_phone_hash is None
    with pytest.raises(TypeError, match="clear value"):
        Case.update(applicant_phone=Case.applicant_name).execute()


def test_batch_intake_encrypts_and_honours_opt_outs(client, make, app):
    with app.app_context(), db.connection_context():
        OptOut.create(phone=OPTED_OUT)
    batch = [
        make.case_payload(f"GA-B-{n}", applicant={"name": NAME, "phone": phone, "type": "person"})
        for n, phone in enumerate((PHONE, OPTED_OUT))
    ]
    resp = client.post("/api/v1/cases/batch", json=batch, headers=make.auth(make.police_key))
    assert [r["invitation"] for r in resp.get_json()] == ["scheduled", "opted_out"]
    with app.app_context(), db.connection_context():
        stored = everything_stored()
        assert PHONE not in stored and NAME not in stored
        assert {c.applicant_phone for c in Case.select()} == {PHONE, OPTED_OUT}
        assert Case.of_phone(OPTED_OUT).get().case_no == "GA-B-1"


def test_a_value_moved_to_another_column_or_altered_does_not_decrypt(populate, opened):
    populate()
    opened()
    [(token,)] = raw("case", "applicant_phone")
    # Bound to its column: the same ciphertext in rater_contact.phone does not open.
    store_raw("rater_contact", "phone", token)
    with pytest.raises(PiiKeyError, match="rater_contact.phone") as err:
        RaterContact.get()
    assert PHONE not in str(err.value)
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    store_raw("case", "applicant_phone", altered)
    with pytest.raises(PiiKeyError, match="does not decrypt"):
        Case.get()
    # A clear value (a database that missed migration 0008) is named as such, not echoed.
    store_raw("case", "applicant_phone", PHONE)
    with pytest.raises(PiiKeyError, match="not encrypted") as err:
        Case.get()
    assert PHONE not in str(err.value)


def test_upstream_records_carry_no_personal_data(populate, opened, app):
    from models import Rating
    from ratings.core import RatingRequest
    from ratings.core import submit_rating
    from upstream.profile import Profile
    from upstream.profile import RatingFacts

    case = populate()
    opened()
    submit_rating(RatingRequest(level=2, channel="h5", case=case, comment="窗口人员态度差", rater_ref="b:2"))
    profile = Profile.from_settings(app.config["SETTINGS"].upstream)
    for facts in RatingFacts.load([rating.id for rating in Rating.select()]).values():
        record = json.dumps(profile.record(facts, "610118-x"), ensure_ascii=False)
        for value in CLEAR_VALUES:
            assert value not in record
