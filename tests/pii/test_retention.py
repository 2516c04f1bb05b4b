"""The retention purge: personal data older than `pii.retention_days` is
cleared where its purpose has ended; ratings, cases and figures stay."""

import datetime as dt
import json

import pytest

from core import clock
from core.codes import new_rating_code
from core.crypto import phone_hash
from figures import ratings as rating_figures
from figures.rectification import rectification_figures
from jobs.table import JOBS
from models import AuditLog
from models import Case
from models import OptOut
from models import Outbox
from models import PhoneVerification
from models import RaterContact
from models import Rating
from models import Ticket
from models import db
from models.sms import SmsInbox
from models.sms import SmsMessage
from ops.retention import purge
from ops.retention import purge_job
from ratings.core import RatingRequest
from ratings.core import submit_rating
from ratings.verification import send_code
from sms.inbox import store_callback

from .conftest import ID_NUMBER
from .conftest import NAME
from .conftest import raw

LONG_AGO = dt.datetime(2025, 10, 1, 10, 0)  # more than 365 days before the tests' 2026-11-26
LATELY = dt.datetime(2026, 11, 16, 10, 0)


def make_case(make, case_no, phone, status="completed"):
    now = clock.now()
    return Case.create(
        case_no=case_no,
        item=make.id_card,
        department=make.police,
        hall=make.hall,
        window=make.police_window,
        status=status,
        accepted_at=now - dt.timedelta(hours=1),
        completed_at=now if status == "completed" else None,
        applicant_name=NAME,
        applicant_phone=phone,
        applicant_type="person",
        applicant_id_number=ID_NUMBER,
        rating_code=new_rating_code(),
        created_at=now,
        updated_at=now,
    )


def rate(level, case=None, window=None, rater_ref=None):
    channel = "h5" if case is not None else "qr"
    return submit_rating(RatingRequest(level=level, channel=channel, case=case, window=window, rater_ref=rater_ref))


def message(phone, state="sent"):
    SmsMessage.create(
        outbox_id=0,
        phone=phone,
        purpose="invite",
        provider="console",
        template_code="SMS_1",
        text="好",
        out_id="0",
        state=state,
        created_at=clock.now(),
    )


@pytest.fixture
def history(app, make, ctx):
    """A year-old history in every state a purge must tell apart, and a recent one."""
    rows = {}
    with app.app_context():
        clock.freeze(LONG_AGO)
        rows["rated"] = make_case(make, "OLD-RATED", "13800000001")
        rate(5, rows["rated"])
        rows["closed"] = make_case(make, "OLD-CLOSED", "13800000002")
        Ticket.update(state="closed", closed_at=clock.now()).where(
            Ticket.id == rate(1, rows["closed"]).ticket.id
        ).execute()
        rows["open"] = make_case(make, "OLD-OPEN-TICKET", "13800000003")
        Ticket.update(state="replied").where(Ticket.id == rate(2, rows["open"]).ticket.id).execute()
        rows["accepted"] = make_case(make, "OLD-NEVER-COMPLETED", "13800000004", status="accepted")
        rows["unrated"] = make_case(make, "OLD-UNRATED", "13800000005")
        contact_done = rate(1, window=make.social_window, rater_ref="b:1")
        Ticket.update(state="closed").where(Ticket.id == contact_done.ticket.id).execute()
        RaterContact.create(rating=contact_done.rating, phone="13900000001")
        contact_open = rate(1, window=make.social_window, rater_ref="b:2")
        RaterContact.create(rating=contact_open.rating, phone="13900000002")
        message("13800000001")
        store_callback("up", [{"phone_number": "13800000001", "content": "5 谢谢", "sequence_id": "1"}])
        store_callback("up", [{"phone_number": "13800000001", "content": "还没处理", "sequence_id": "2"}])
        SmsInbox.update(state="done", outcome="rated").where(SmsInbox.id == 1).execute()
        Outbox.put("sms.message", "sms:old-sent", {"phone": "13800000001", "text": "谢谢", "purpose": "reply"})
        Outbox.update(state="sent").where(Outbox.dedupe_key == "sms:old-sent").execute()
        Outbox.put("sms.message", "sms:old-pending", {"phone": "13800000001", "text": "谢谢", "purpose": "reply"})
        OptOut.create(phone="13800000001")
        clock.freeze(LATELY)
        rows["recent"] = make_case(make, "RECENT", "13800000006")
        rate(4, rows["recent"])
        message("13800000006")
        store_callback("up", [{"phone_number": "13800000006", "content": "4", "sequence_id": "3"}])
        SmsInbox.update(state="done").where(SmsInbox.id == 3).execute()
        clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
    return rows


def figures(app):
    with app.app_context():
        f = rating_figures.Filters(start=dt.date(2025, 1, 1), end=dt.date(2027, 1, 1))
        return {
            "summary": rating_figures.summary(f),
            "levels": rating_figures.level_distribution(f),
            "channels": rating_figures.channel_mix(f),
            "completed": rating_figures.completed_cases(f),
            "departments": rating_figures.by_department(f),
            "trend": rating_figures.monthly_trend(f),
            "rectification": rectification_figures((dt.date(2025, 1, 1), dt.date(2026, 12, 31))),
        }


def applicant(case_no):
    case = Case.by_case_no(case_no)
    return case.applicant_name, case.applicant_phone, case.applicant_id_number, case.applicant_phone_hash


def test_the_purge_clears_what_outlived_its_purpose_and_the_figures_stay(app, history):
    before = figures(app)
    ratings_before = list(Rating.select().order_by(Rating.id).dicts())
    counts = purge(365)
    assert counts == {
        "cases": 4,
        "rater_contacts": 1,
        "sms_messages": 1,
        "sms_inbox": 1,
        "outbox": 1,
        "rater_networks": 0,
        "phone_verifications": 0,
    }
    for case_no in ("OLD-RATED", "OLD-CLOSED", "OLD-NEVER-COMPLETED", "OLD-UNRATED"):
        assert applicant(case_no) == (None, None, None, None)
    # A ticket still worked on needs the phone for its 回访; recent cases are untouched.
    assert applicant("OLD-OPEN-TICKET") == (NAME, "13800000003", ID_NUMBER, phone_hash("13800000003"))
    assert applicant("RECENT")[1] == "13800000006"
    assert [c.phone for c in RaterContact.select()] == ["13900000002"]
    assert [m.phone for m in SmsMessage.select().order_by(SmsMessage.id)] == [None, "13800000006"]
    assert raw("sms_message", "phone_hash")[0] == (None,)
    old_reply, pending_reply, recent_reply = SmsInbox.select().order_by(SmsInbox.id)
    assert "phone_number" not in old_reply.data and "content" not in old_reply.data
    assert old_reply.data["sequence_id"] == "1" and old_reply.dedupe_key == f"purged:{old_reply.id}"
    assert pending_reply.data["phone_number"] == "13800000001"  # not processed yet: it still has a job to do
    assert recent_reply.data["phone_number"] == "13800000006"
    sent = Outbox.get(Outbox.dedupe_key == "sms:old-sent")
    assert "phone" not in sent.data and json.loads(sent.payload)["text"] == "谢谢"
    assert Outbox.get(Outbox.dedupe_key == "sms:old-pending").data["phone"] == "13800000001"
    assert OptOut.has("13800000001")  # a standing request: kept
    # Cases, ratings and every figure are as they were.
    assert Case.select().count() == 6
    assert list(Rating.select().order_by(Rating.id).dicts()) == ratings_before
    assert figures(app) == before
    audit = AuditLog.get(AuditLog.action == "personal_data.purge")
    assert json.loads(audit.detail) == {"retention_days": 365, **counts}
    # Twice changes nothing twice, and logs nothing.
    assert set(purge(365).values()) == {0}
    assert AuditLog.select().where(AuditLog.action == "personal_data.purge").count() == 1


@pytest.mark.settings({"pii": {"retention_days": 500}})
def test_the_daily_job_follows_the_configured_retention(app, history):
    assert {"id": "pii.purge", "func": "ops.retention:purge_job", "cron": {"hour": 3, "minute": 40}} in JOBS
    assert set(purge_job().values()) == {0}  # 421 days old is within 500
    clock.freeze(dt.datetime(2027, 2, 14, 10, 0))
    assert purge_job()["cases"] == 4
    assert applicant("OLD-RATED") == (None, None, None, None)


def test_the_purge_command(app, history, runner):
    output = runner.invoke(args=["pii", "purge"]).output
    assert "purged (older than 365 days): cases=4, outbox=1, rater_contacts=1, sms_inbox=1, sms_messages=1" in output
    assert "nothing to do" in runner.invoke(args=["pii", "purge"]).output


def test_the_network_of_an_onsite_rating_and_old_codes_are_purged(app, make):
    with app.test_request_context(), db.connection_context():
        clock.freeze(dt.datetime(2025, 6, 1, 10, 0))
        old = submit_rating(
            RatingRequest(level=5, channel="qr", window=make.police_window, rater_ref="browser:a", client_ip="10.1.1.1")
        ).rating
        send_code("13900001111")
        clock.freeze(dt.datetime(2026, 11, 26, 10, 0))
        recent = submit_rating(
            RatingRequest(level=5, channel="qr", window=make.police_window, rater_ref="browser:b", client_ip="10.1.1.1")
        ).rating
        counts = purge(365)
        assert (counts["rater_networks"], counts["phone_verifications"]) == (1, 1)
        assert Rating.get_by_id(old.id).rater_network is None
        assert Rating.get_by_id(recent.id).rater_network is not None
        assert PhoneVerification.select().count() == 0 and not Rating.get_by_id(old.id).excluded
