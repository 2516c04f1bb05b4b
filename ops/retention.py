"""The retention purge (PIPL: kept no longer than its purpose needs).

Daily, personal data older than `pii.retention_days` is cleared while what
the figures count stays: the case keeps its item, units, times and status,
the rating stays as it was, anonymous. Due for clearing:

- a case's applicant name, phone and ID number once the case was completed
  (or, never completed, last updated) that long ago and its ticket, if any,
  is closed — a ticket still being worked on needs the phone for its 回访;
- a phone number left with a case-less bad review (RaterContact), on the
  same terms, by the rating's date;
- the phone number of every SMS sent, of every stored Aliyun callback (with
  the citizen's words), and of every sent or failed outbox message;
- the network (a keyed hash of the client's address) kept on a case-less
  on-site rating to bind it (ratings/onsite.py), and the SMS one-time codes
  (only hashes), by their date.

Opt-outs stay: they hold a standing request not to be sent SMS. Safe to run
twice: what is cleared is not selected again. The counts go to the audit log.
"""

import datetime as dt
import json

from peewee import chunked
from peewee import fn

from core import clock
from core.config import current_settings
from models import AuditLog
from models import Case
from models import Outbox
from models import PhoneVerification
from models import RaterContact
from models import Rating
from models import Ticket
from models import db
from models.outbox import SEALED_PHONE
from models.sms import SmsInbox
from models.sms import SmsMessage

BATCH = 500
PURGED_PREFIX = "purged:"
# What a stored callback item keeps once purged: the provider's facts, not the person's.
INBOX_PERSONAL_KEYS = ("phone_number", "content")


def purge_job() -> dict:
    """The scheduler's entry point (jobs/table.py): its own connection."""
    with db.connection_context():
        return purge(current_settings().pii.retention_days)


def purge(retention_days: int) -> dict:
    """Clear what is older than `retention_days`; returns counts by kind of row."""
    cutoff = clock.now() - dt.timedelta(days=retention_days)
    counts = {
        "cases": _cases(cutoff),
        "rater_contacts": _rater_contacts(cutoff),
        "sms_messages": _sms_messages(cutoff),
        "sms_inbox": _sms_inbox(cutoff),
        "outbox": _outbox(cutoff),
        "rater_networks": _rater_networks(cutoff),
        "phone_verifications": _phone_verifications(cutoff),
    }
    if any(counts.values()):
        AuditLog.record("system", "personal_data.purge", "", retention_days=retention_days, **counts)
    return counts


def _rater_networks(cutoff: dt.datetime) -> int:
    """The network of an on-site rating binds it on its day and for its review; not for ever."""
    return (
        Rating.update(rater_network=None)
        .where(Rating.rater_network.is_null(False) & (Rating.onsite_day < cutoff.date()))
        .execute()
    )


def _phone_verifications(cutoff: dt.datetime) -> int:
    return PhoneVerification.delete().where(PhoneVerification.created_at < cutoff).execute()


def _ticket_open(on):
    return fn.EXISTS(Ticket.select(Ticket.id).where(on & (Ticket.state != "closed")))


def due_cases(cutoff: dt.datetime):
    """Cases whose applicant data has outlived its purpose."""
    has_data = Case.applicant_phone.is_null(False) | Case.applicant_name.is_null(False)
    has_data |= Case.applicant_id_number.is_null(False)
    old = ((Case.status == "completed") & (Case.completed_at < cutoff)) | (
        (Case.status != "completed") & (Case.updated_at < cutoff)
    )
    return Case.select(Case.id).where(has_data & old & ~_ticket_open(Ticket.case == Case.id))


def _cases(cutoff: dt.datetime) -> int:
    ids = [case_id for (case_id,) in due_cases(cutoff).tuples()]
    for chunk in chunked(ids, BATCH):
        with db.atomic():
            # The lookup hash goes with the phone (PiiModel writes it as None).
            Case.update(applicant_name=None, applicant_phone=None, applicant_id_number=None).where(
                Case.id.in_(chunk)
            ).execute()
    return len(ids)


def _rater_contacts(cutoff: dt.datetime) -> int:
    ratings = Rating.select(Rating.id).where((Rating.created_at < cutoff) & ~_ticket_open(Ticket.rating == Rating.id))
    return RaterContact.delete().where(RaterContact.rating.in_(ratings)).execute()


def _sms_messages(cutoff: dt.datetime) -> int:
    return (
        SmsMessage.update(phone=None)
        .where((SmsMessage.created_at < cutoff) & SmsMessage.phone.is_null(False))
        .execute()
    )


def _sms_inbox(cutoff: dt.datetime) -> int:
    done = 0
    while True:
        rows = list(
            SmsInbox.select()
            .where(
                (SmsInbox.received_at < cutoff)
                & (SmsInbox.state != "pending")
                & ~SmsInbox.dedupe_key.startswith(PURGED_PREFIX)
            )
            .order_by(SmsInbox.id)
            .limit(BATCH)
        )
        if not rows:
            return done
        with db.atomic():
            for row in rows:
                kept = {k: v for k, v in row.data.items() if k not in INBOX_PERSONAL_KEYS}
                SmsInbox.update(
                    payload=json.dumps(kept, ensure_ascii=False), dedupe_key=f"{PURGED_PREFIX}{row.id}"
                ).where(SmsInbox.id == row.id).execute()
        done += len(rows)


def _outbox(cutoff: dt.datetime) -> int:
    done, last = 0, 0
    while True:
        rows = list(
            Outbox.with_phone()
            .where((Outbox.created_at < cutoff) & (Outbox.state != "pending") & (Outbox.id > last))
            .order_by(Outbox.id)
            .limit(BATCH)
        )
        if not rows:
            return done
        with db.atomic():
            for row in rows:
                data = json.loads(row.payload)
                if data.pop(SEALED_PHONE, None) is not None:
                    Outbox.update(payload=json.dumps(data, ensure_ascii=False)).where(Outbox.id == row.id).execute()
                    done += 1
        last = rows[-1].id
