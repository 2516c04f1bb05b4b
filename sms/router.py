"""Replies: which conversation an incoming SMS answers, and who handles it.

A reply answers the newest open prompt sent to that phone (an invitation, a
reminder, a clarification, the 差评 acknowledgement, a 回访 question…), and
goes to the handler of the prompt's purpose in `HANDLERS`; a prompt whose
purpose has no handler is passed over, and a reply to no open prompt gets the
late-reply answer. TD/退订 opts out whatever was asked; a phone over its reply
limit gets no answer (a reply loop or a flood).

The inbox drains (sms/inbox.py), the router decides (here), the handlers act
(sms/conversations/): each imports only the next.
"""

from collections.abc import Callable

from models import db
from models.sms import SmsMessage

from .batch import Incoming
from .batch import Outcome
from .conversations import followup
from .conversations import rating
from .conversations.opt_out import opt_out

Handler = Callable[[Incoming, SmsMessage], Outcome]

HANDLERS: dict[str, Handler] = {
    "invite": rating.rating_reply,
    "reminder": rating.rating_reply,
    "clarify": rating.rating_reply,
    "bad_review_ack": rating.reason_reply,
    "followup": followup.followup_reply,
}
# Handlers that only read and queue (`incoming.say`, the batch's `rate`) until their first
# write, so the inbox may start them before it takes SQLite's write lock and start them
# again under it once they write (sms/inbox.py). Any other handler runs under the lock only.
READ_FIRST: frozenset[Handler] = frozenset({rating.rating_reply, rating.reason_reply})


def handle_reply(incoming: Incoming) -> Outcome:
    """(outcome, detail) of one reply, for the inbox row and the staff's view (pending
    until the batch is flushed when the reply rates a case)."""
    if incoming.parsed().kind == "opt_out":
        return opt_out(incoming.phone)
    if not incoming.batch.allowed(incoming.inbox_id, incoming.phone):
        return "rate_limited", "该号码回复过于频繁，本条未处理"
    for prompt in incoming.batch.open_prompts(incoming.phone):
        handler = HANDLERS.get(prompt.purpose)
        if handler is not None:
            if handler not in READ_FIRST:
                db.obj.refuse_in_read_phase()
            return handler(incoming, prompt)
    return rating.late_reply(incoming)
