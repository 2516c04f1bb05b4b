"""An SMS reply from the handler's own phone: refused, recorded on the inbox row, nothing stored."""

import pytest

from models import Outbox
from models import Rating
from models import db
from models.sms import SmsInbox
from tests.sms.conftest import PHONE
from tests.sms.conftest import bot  # noqa: F401
from tests.sms.conftest import fake  # noqa: F401
from tests.sms.conftest import settings_overrides  # noqa: F401


def test_the_handler_replying_to_their_own_invitation_is_refused(app, bot, register, make):  # noqa: F811
    register(make.officer, "phone", PHONE)
    bot.complete()
    assert bot.send() == {"sent": 1}
    assert bot.up("5") == {"refused": 1}
    with db.connection_context():
        assert Rating.select().count() == 0
        row = SmsInbox.get()
        assert (row.state, row.outcome) == ("done", "refused")
        assert "工作人员不能评价" in row.detail
        # No reply goes back (nothing tells the sender which check refused it).
        assert not Outbox.select().where(Outbox.kind == "sms.message").exists()


def test_a_citizens_reply_still_rates(app, bot, register, make):  # noqa: F811
    register(make.officer, "phone", "13911112222")
    bot.complete()
    bot.send()
    assert bot.up("5") == {"rated": 1}


@pytest.mark.settings({"limits": {"sms_phone": "2/hour"}})
def test_replies_are_limited_per_phone(app, bot, make):  # noqa: F811
    bot.complete()
    bot.send()
    assert bot.up("你好") == {"clarified": 1}
    assert "rate_limited" not in bot.up("在吗")
    assert bot.up("5") == {"rate_limited": 1}
    assert bot.up("TD") == {"opted_out": 1}  # opting out is never limited
    assert bot.up("6", phone="13700137000") != {"rate_limited": 1}
    with db.connection_context():
        assert Rating.select().count() == 0
        assert SmsInbox.select().where(SmsInbox.outcome == "rate_limited").count() == 1
