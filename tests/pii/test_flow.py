"""The whole SMS conversation against the fake Aliyun: invitation, reply,
opt-out — and no phone number, name or ID number in any log line, even the
database layer's DEBUG echo of SQL parameters, nor in any table."""

from models import Case
from models import OptOut
from models import Rating
from models import db
from tests.sms.conftest import PHONE
from tests.sms.conftest import bot  # noqa: F401 - fixtures of the SMS bot's tests
from tests.sms.conftest import fake  # noqa: F401
from tests.sms.conftest import settings_overrides  # noqa: F401

from .conftest import ID_NUMBER
from .conftest import NAME
from .conftest import everything_stored


def test_a_conversation_leaves_no_clear_personal_data_in_logs_or_tables(app, bot, fake, caplog):  # noqa: F811
    caplog.set_level("DEBUG")
    applicant = {"name": NAME, "phone": PHONE, "type": "person", "id_number": ID_NUMBER}
    bot.complete("GA-2026-0001", applicant=applicant)
    bot.complete("GA-2026-0002", applicant=applicant)
    assert bot.send() == {"sent": 2}
    assert [sms["phone"] for sms in fake.sent] == [PHONE, PHONE]  # the provider gets the number it needs
    assert bot.up("5") == {"clarified": 1}  # two open cases: which one?
    bot.send()
    assert bot.up("A5") == {"rated": 1}
    bot.send()
    assert bot.up("TD") == {"opted_out": 1}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "SELECT" in logged  # the SQL echo was on
    for value in (PHONE, NAME, ID_NUMBER):
        assert value not in logged
    with app.app_context(), db.connection_context():
        stored = everything_stored()
        for value in (PHONE, NAME, ID_NUMBER):
            assert value not in stored
        assert OptOut.has(PHONE) and Rating.select().count() == 1
        assert Case.of_phone(PHONE).count() == 2
