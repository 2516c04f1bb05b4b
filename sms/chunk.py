"""A chunk of stored callbacks, handled in one transaction by the inbox job.

Per reply, the router reads the phone's open prompts and open invitations
first, and a rating reply ends by closing its prompts and queueing the
thank-you SMS. For a chunk, those first reads are one query each for all its
phones, and those trailing writes one statement each at the end of the chunk,
in its transaction. This is sound because a chunk holds at most one callback
per phone (sms/inbox.py cuts it before a repeated phone): no reply of the chunk
changes what another one reads. A prefetched answer serves only a reply's
first read; later reads of the same reply go to the database.

`decisions` keeps each callback's per-phone limit decision (by inbox id), so a
chunk that is rolled back and redone one by one counts every reply once.
Without a chunk (tests, other callers) the router reads and writes directly.
"""

import contextlib
import contextvars
import json

from peewee import chunked

from core import clock
from models import Outbox
from models.outbox import seal
from models.sms import SmsMessage

_current: contextvars.ContextVar = contextvars.ContextVar("sms_chunk", default=None)


class Chunk:
    def __init__(self, decisions: dict, batched: bool = True):
        self.decisions = decisions
        # False: a redo one by one, which only needs the limit decisions.
        self.batched = batched
        self._prompts: dict[str, list] = {}
        self._invitations: dict[str, list] = {}
        self._outbox: list[dict] = []
        self._closed: list[tuple[str, str]] = []

    def prefetch(self, replies: list[dict]) -> None:
        """Read the open prompts and invitations of every replying phone at once."""
        from core.crypto import phone_hash

        from .router import open_invitations_by_phone

        hashes = sorted({phone_hash(data["phone_number"]) for data in replies})
        if hashes:
            self._prompts = SmsMessage.open_prompts_by_phone(hashes)
            self._invitations = open_invitations_by_phone(hashes)

    def prompts(self, phone_hash: str) -> list | None:
        """The prefetched open prompts of a phone, once; None: read them."""
        return self._prompts.pop(phone_hash, None)

    def invitations(self, phone_hash: str) -> list | None:
        return self._invitations.pop(phone_hash, None)

    def put(self, kind: str, dedupe_key: str, payload: dict) -> None:
        """`Outbox.put` at the end of the chunk (the same row, the same once-only key)."""
        now = clock.now()
        self._outbox.append(
            {
                "kind": kind,
                "dedupe_key": dedupe_key,
                "payload": json.dumps(seal(payload), ensure_ascii=False),
                "state": "pending",
                "attempts": 0,
                "available_at": now,
                "created_at": now,
            }
        )

    def close_rated(self, phone_hash: str, ref: str) -> None:
        self._closed.append((phone_hash, ref))

    def flush(self) -> None:
        """The deferred writes, in the chunk's transaction."""
        for part in chunked(self._outbox, 100):
            Outbox.insert_many(part).on_conflict_ignore().execute()
        if self._closed:
            SmsMessage.close_rated(self._closed)
        self._outbox, self._closed = [], []


def current() -> Chunk | None:
    return _current.get()


@contextlib.contextmanager
def active(chunk: Chunk):
    token = _current.set(chunk)
    try:
        yield chunk
    finally:
        _current.reset(token)
