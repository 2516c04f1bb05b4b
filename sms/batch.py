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

A reply that rates a case does not rate it at once: `rate` queues its rating request
and returns a `Pending` outcome, and `flush` rates the batch's cases in one set
(`ratings.batch.submit_case_ratings`: one statement per table, not a round trip per
reply and table), then finishes each reply as its conversation asked (`then`), and
its outcome is known. A batch of one rating calls `submit_rating`, the one-by-one
path. A rating the set cannot keep (`OneByOne`) raises out of `flush`: the inbox rolls
the batch back and redoes its replies one by one.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from core import clock
from core.config import current_settings
from core.crypto import phone_hash
from core.errors import ApiError
from edge.limits import allow
from models import Department
from models import Invitation
from models import Outbox
from models.sms import SmsMessage
from ratings.batch import submit_case_ratings
from ratings.core import RatingRequest
from ratings.core import RatingResult
from ratings.core import submit_rating

from .parser import Reply
from .parser import parse_reply


class Pending:
    """A reply's (outcome, detail), known once its batch is flushed."""

    def __init__(self):
        self.value: tuple[str, str | None] | None = None


# What a reply handler returns: (outcome, detail) for the inbox row, or a Pending of it.
Outcome = tuple[str, str | None] | Pending


def settled(outcome: Outcome) -> tuple[str, str | None]:
    """The (outcome, detail) a handler returned, or its Pending's once flushed."""
    if isinstance(outcome, Pending):
        if outcome.value is None:
            raise RuntimeError("a pending reply's batch was not flushed")
        return outcome.value
    return outcome


class Batch:
    def __init__(self, decisions: dict | None = None):
        self.decisions = {} if decisions is None else decisions
        self._prompts: dict[str, list] = {}
        self._invitations: dict[str, list] = {}
        self._outbox: list[dict] = []
        self._closed: list[tuple[str, str]] = []
        self._ratings: list[tuple[RatingRequest, Callable, Pending]] = []
        self._hashes: dict[str, str] = {}  # phone → its lookup hash (a keyed HMAC), for this batch
        self._department_names: dict[int, str] = {}

    def hash(self, phone: str) -> str:
        found = self._hashes.get(phone)
        if found is None:
            found = self._hashes[phone] = phone_hash(phone)
        return found

    def department_name(self, department_id: int) -> str:
        """The department's name, read once per batch (every 差评's acknowledgement names it)."""
        found = self._department_names.get(department_id)
        if found is None:
            found = self._department_names[department_id] = Department.name_of(department_id)
        return found

    def prefetch(self, phones: list[str]) -> None:
        """Read the open prompts and invitations of every replying phone at once."""
        hashes = sorted({self.hash(phone) for phone in phones})
        if hashes:
            self._prompts = SmsMessage.open_prompts_by_phone(hashes)
            self._invitations = Invitation.answerable_by_phone(hashes, _answerable_after())

    def open_prompts(self, phone: str) -> list[SmsMessage]:
        """Prompts to `phone` still waiting for an answer, newest first."""
        found = self._prompts.pop(self.hash(phone), None)
        return list(SmsMessage.open_prompts(phone)) if found is None else found

    def open_invitations(self, phone: str) -> list[Invitation]:
        """Invitations this phone received that can still be answered, newest first."""
        key = self.hash(phone)
        found = self._invitations.pop(key, None)
        return Invitation.answerable_by_phone([key], _answerable_after())[key] if found is None else found

    def allowed(self, inbox_id: int, phone: str) -> bool:
        """The per-phone reply limit, counted once per stored callback."""
        if inbox_id not in self.decisions:
            self.decisions[inbox_id] = allow("sms_phone", self.hash(phone))
        return self.decisions[inbox_id]

    def say(self, phone: str, key: str, text: str, purpose: str = "reply", ref=None, context=None) -> None:
        """Queue an SMS to the citizen: an `sms.message` outbox row (once per `key`) at the end."""
        payload = {"phone": phone, "text": text, "purpose": purpose, "ref": ref}
        if context:
            payload["context"] = context
        self._outbox.append(Outbox.row("sms.message", f"sms:{key}", payload))

    def close_rated(self, phone: str, ref: str) -> None:
        """The conversation about a rated invitation is over: its prompts and any clarification."""
        self._closed.append((self.hash(phone), ref))

    def rate(self, request: RatingRequest, then: Callable[[RatingResult | ApiError], tuple]) -> Pending:
        """Rate at `flush`, with the batch's other ratings; `then(result or refusal)` finishes
        the reply there and returns its (outcome, detail)."""
        pending = Pending()
        self._ratings.append((request, then, pending))
        return pending

    def mark(self) -> tuple[int, int, int]:
        """Where the queues stand, before a reply is handled (see `undo`)."""
        return len(self._outbox), len(self._closed), len(self._ratings)

    def undo(self, mark: tuple[int, int, int]) -> None:
        """Forget what a reply queued after `mark`: its handling stopped midway (a write in
        the inbox's read phase) and is redone from the start."""
        outbox, closed, ratings = mark
        del self._outbox[outbox:], self._closed[closed:], self._ratings[ratings:]

    def flush(self) -> None:
        """The deferred writes, in the batch's transaction: the ratings first, then every
        SMS queued and prompt closed (by the ratings' replies too)."""
        queued, self._ratings = self._ratings, []
        if len(queued) == 1:
            request, then, pending = queued[0]
            try:
                result = submit_rating(request)
            except ApiError as exc:
                result = exc
            pending.value = then(result)
        elif queued:
            results = submit_case_ratings([request for request, _, _ in queued])
            for (_, then, pending), result in zip(queued, results, strict=True):
                pending.value = then(result)
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
    _parsed: dict = field(default_factory=dict, repr=False)

    def parsed(self, keys: frozenset = frozenset()) -> Reply:
        """`parse_reply` of the text, once per set of choice keys (the router and the
        conversation both read it)."""
        found = self._parsed.get(keys)
        if found is None:
            found = self._parsed[keys] = parse_reply(self.text, keys)
        return found

    def say(self, key: str, text: str, purpose: str = "reply", ref=None, context=None) -> None:
        self.batch.say(self.phone, key, text, purpose, ref, context)
