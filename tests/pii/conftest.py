"""Personal data fixtures: keys, a database holding every kind of personal
data, and a look at what the tables hold below the ORM."""

import base64
import contextlib
import os

import pytest
from peewee import Table

from models import Case
from models import OptOut
from models import Outbox
from models import RaterContact
from models import db
from models.sms import SmsInbox
from models.sms import SmsMessage
from ratings.core import RatingRequest
from ratings.core import submit_rating
from sms.conversations.opt_out import opt_out
from sms.inbox import store_callback

PHONE = "13800138000"
NAME = "张三丰"
ID_NUMBER = "11010519491231002X"
CONTACT = "13900139000"
OPTED_OUT = "13700137000"
CLEAR_VALUES = (PHONE, NAME, ID_NUMBER, CONTACT, OPTED_OUT, "很好")


def read_everything():
    case = Case.get()
    return (
        case.applicant_name,
        case.applicant_phone,
        case.applicant_id_number,
        RaterContact.get().phone,
        OptOut.get().phone,
        SmsMessage.get().phone,
        sorted(row.data["phone_number"] for row in SmsInbox.select()),
        Outbox.get(Outbox.kind == "sms.message").data["phone"],
    )


EVERYTHING = (NAME, PHONE, ID_NUMBER, CONTACT, OPTED_OUT, PHONE, [PHONE, PHONE], PHONE)


def new_key(kid: str) -> str:
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def new_lookup_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def raw(table: str, *columns: str) -> list[tuple]:
    """Stored values as they are, without the fields' decryption."""
    t = Table(table, ("id", *columns)).bind(db.obj)
    return list(t.select(*(getattr(t, c) for c in columns)).order_by(t.id).tuples())


def store_raw(table: str, column: str, value) -> None:
    """Overwrite a column below the ORM, as an attacker or a broken tool would."""
    t = Table(table, ("id", column)).bind(db.obj)
    t.update({getattr(t, column): value}).execute()


def everything_stored() -> str:
    """Every value of every table, as text: what a stolen database would show."""
    dump = []
    for table in db.get_tables():
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the catalogue
        dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


@pytest.fixture
def opened(app):
    """A function: from here on, the test runs in a request context with an open connection."""
    with contextlib.ExitStack() as stack:

        def enter():
            stack.enter_context(app.test_request_context())
            stack.enter_context(db.connection_context())

        yield enter


@pytest.fixture
def populate(app, client, make):
    """Every kind of personal data the product stores, written through its own paths."""

    def fill():
        applicant = {"name": NAME, "phone": "+86 138 0013 8000", "type": "person", "id_number": ID_NUMBER}
        resp = client.post(
            "/api/v1/cases", json=make.case_payload(applicant=applicant), headers=make.auth(make.police_key)
        )
        assert resp.status_code == 201, resp.get_json()
        with app.test_request_context(), db.connection_context():
            onsite = submit_rating(RatingRequest(level=1, channel="qr", window=make.social_window, rater_ref="b:1"))
            RaterContact.create(rating=onsite.rating, phone=CONTACT)
            opt_out(OPTED_OUT)
            sms = {"provider": "console", "template_code": "SMS_1", "text": "好", "out_id": "1"}
            SmsMessage.create(outbox_id=1, phone=PHONE, purpose="invite", **sms)
            store_callback("up", [{"phone_number": PHONE, "content": "5 很好", "sequence_id": "7"}])
            store_callback("report", [{"phone_number": PHONE, "success": True, "biz_id": "9^0", "out_id": "1"}])
            Outbox.put("sms.message", "sms:test", {"phone": PHONE, "text": "您好", "purpose": "reply", "ref": None})
            return Case.get()

    return fill
