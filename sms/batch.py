"""The replies handled in one transaction: what they read first, and what they
write last, each once.

The inbox job hands the router its callbacks in batches (sms/inbox.py); one
reply is a batch of one, on the same code path. Per reply, the router reads the
phone's open prompts and open invitations first, and a rating reply ends by
closing its prompts and queueing the thank-you SMS. For a batch of many, those
first reads are one query each for all its phones (`prefetch`), and every SMS
it queues and every prompt it closes one statement each at the end (`flush`),
in its transaction. This is sound because a batch holds at most one callback
per phone (the inbox cuts it before a repeated phone): no reply of the batch
changes what another one reads. A prefetched answer serves only a reply's
first read; later reads of the same reply go to the database.

`decisions` keeps each callback's per-phone limit decision (by inbox id), so a
batch that is rolled back and redone one by one counts every reply once.
"""

import datetime as dt
from dataclasses import dataclass

from core import clock
from core.config import current_settings
from core.crypto import phone_hash
from edge.limits import allow
from models import Invitation
from models import Outbox
from models.sms import SmsMessage


class Batch:
    def __init__(self, decisions: dict | None = None):
        self.decisions = {} if decisions is None else decisions
        self._prompts: dict[str, list] = {}
        self._invitations: dict[str, list] = {}
        self._outbox: list[dict] = []
        self._closed: list[tuple[str, str]] = []

    def prefetch(self, phones: list[str]) -> None:
        """Read the open prompts and invitations of every replying phone at once."""
        hashes = sorted({phone_hash(phone) for phone in phones})
        if hashes:
            self._prompts = SmsMessage.open_prompts_by_phone(hashes)
            self._invitations = Invitation.answerable_by_phone(hashes, _answerable_after())

    def open_prompts(self, phone: str) -> list[SmsMessage]:
        """Prompts to `phone` still waiting for an answer, newest first."""
        found = self._prompts.pop(phone_hash(phone), None)
        return list(SmsMessage.open_prompts(phone)) if found is None else found

    def open_invitations(self, phone: str) -> list[Invitation]:
        """Invitations this phone received that can still be answered, newest first."""
        key = phone_hash(phone)
        found = self._invitations.pop(key, None)
        return Invitation.answerable_by_phone([key], _answerable_after())[key] if found is None else found

    def allowed(self, inbox_id: int, phone: str) -> bool:
        """The per-phone reply limit, counted once per stored callback."""
        if inbox_id not in self.decisions:
            self.decisions[inbox_id] = allow("sms_phone", phone_hash(phone))
        return self.decisions[inbox_id]

    def say(self, phone: str, key: str, text: str, purpose: str = "reply", ref=None, context=None) -> None:
        """Queue an SMS to the citizen: an `sms.message` outbox row (once per `key`) at the end."""
        payload = {"phone": phone, "text": text, "purpose": purpose, "ref": ref}
        if context:
            payload["context"] = context
        self._outbox.append(Outbox.row("sms.message", f"sms:{key}", payload))

    def close_rated(self, phone: str, ref: str) -> None:
        """The conversation about a rated invitation is over: its prompts and any clarification."""
        self._closed.append((phone_hash(phone), ref))

    def flush(self) -> None:
        """The deferred writes, in the batch's transaction."""
        Outbox.put_many(self._outbox)
        if self._closed:
            SmsMessage.close_rated(self._closed)
        self._outbox, self._closed = [], []


def _answerable_after() -> dt.datetime:
    return clock.now() - dt.timedelta(days=current_settings().ratings.rating_window_days)


@dataclass
class Incoming:
    """One reply being handled, and the batch it is handled in."""

    inbox_id: int
    phone: str
    text: str
    batch: Batch

    def say(self, key: str, text: str, purpose: str = "reply", ref=None, context=None) -> None:
        self.batch.say(self.phone, key, text, purpose, ref, context)
