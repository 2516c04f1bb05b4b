"""The SMS bot's jobs (listed in jobs/table.py). Plain functions that open
their own connection and are safe to run twice; they read the settings of
the Flask app whose context they run in."""

import datetime as dt

from core import clock
from core.config import current_settings
from models import Case
from models import Invitation
from models import Outbox
from models import db

from . import lanes
from .inbox import process_inbox
from .receipts import reconcile_receipts
from .sender import send_due

__all__ = ["drain_inbox", "process_inbox", "reconcile_receipts", "send_due", "sweep_invitations"]


def drain_inbox(interval: float = 5) -> dict:
    """The inbox job: drains the inbox (in lanes, sms/lanes.py) and then
    watches it until shortly before its next run is due, `interval` seconds after this
    one (APScheduler would skip that run with a warning), so a reply is taken up within
    a poll interval and a backlog is worked off without a break."""
    return lanes.drain(budget_seconds=max(0.0, interval - INBOX_MARGIN_SECONDS))


# What a run of the inbox job leaves free before the next one: its bookkeeping, and a
# chunk that takes longer than the run's slowest so far (the last chunks are sized to end
# in time, sms/inbox.py). Idle time for a backlog: every interval, this and less.
INBOX_MARGIN_SECONDS = 0.15


def sweep_invitations() -> dict:
    """One reminder per unrated invitation after `sms.reminder_after_days`;
    invitations past the rating window expire."""
    settings = current_settings()
    now = clock.now()
    window = dt.timedelta(days=settings.ratings.rating_window_days)
    with db.connection_context():
        expired = (
            Invitation.update(state="expired")
            .where(
                Invitation.state.in_(("scheduled", "sent", "delivered"))
                & Invitation.case.in_(Case.select(Case.id).where(Case.completed_at <= now - window))
            )
            .execute()
        )
        due = (
            Invitation.select(Invitation.id)
            .join(Case)
            .where(
                (Invitation.channel == "sms")
                & Invitation.state.in_(("sent", "delivered"))
                & Invitation.reminded_at.is_null()
                & (Invitation.sent_at <= now - dt.timedelta(days=settings.sms.reminder_after_days))
                & (Case.completed_at > now - window)
            )
        )
        reminded = 0
        for (invitation_id,) in list(due.tuples()):
            with db.atomic():
                claimed = (
                    Invitation.update(reminded_at=now)
                    .where((Invitation.id == invitation_id) & Invitation.reminded_at.is_null())
                    .execute()
                )
                if claimed:
                    Outbox.put("sms.reminder", f"remind:{invitation_id}", {"invitation_id": invitation_id})
                    reminded += 1
    return {"expired": expired, "reminders": reminded}
