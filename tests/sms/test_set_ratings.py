"""A chunk of SMS replies rates its cases as one set (ratings/batch.py): what it stores is
exactly what the same replies store one by one through `submit_rating` — the ratings, the
one-rating rule, tickets, invitations, prompts, every outbox row, the inbox outcomes and
the three rollups — also when one rating of the set is refused after its insert and the
chunk is redone one by one."""

import json
import re

import pytest

from core import cache
from core.crypto import phone_hash
from edge.limits import limiter
from figures import rollup
from models import MODELS
from models import AuditLog
from models import Case
from models import CaseRollup
from models import Invitation
from models import Notification
from models import Outbox
from models import Rating
from models import RatingRollup
from models import StaffIdentity
from models import Ticket
from models import TicketEvent
from models import TicketRollup
from models import db
from models.db import is_postgres
from models.sms import SmsInbox
from models.sms import SmsMessage
from ratings import batch as rating_batch
from sms import inbox

from .conftest import TOKEN

UP = f"/sms/aliyun/{TOKEN}/up"

# (phone, reply); every phone has one completed case, P_TWO two (it is asked back).
P = [f"1390000{n:04d}" for n in range(15)]
REPLIES = [
    (P[0], "5"),
    (P[1], "4 办得很快"),
    (P[2], "3"),
    (P[3], "1 态度很差"),  # a 差评: ticket, acknowledgement
    (P[4], "非常满意"),
    (P[5], "2"),  # a 差评
    (P[6], "5"),  # its case is rated meanwhile, its invitation still open: the index refuses (already rated)
    (P[7], "５"),
    (P[8], "TD"),  # opts out
    (P[9], "你好"),  # unclear: asked back
    (P[10], "5"),  # two open cases: asked which
    (P[11], "4"),
    (P[12], "1"),  # a 差评
    (P[14], "4"),  # its case was rated on the window tablet first (the invitation closed): already rated
]
P_TWO = P[10]
P_STAFF = P[13]  # the handling officer's own registered phone


def reset() -> None:
    """Every table empty, ids from 1 again: the second run starts where the first did."""
    names = [m._meta.table_name for m in MODELS]
    with db.connection_context():
        if is_postgres():
            db.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in names) + " RESTART IDENTITY CASCADE")
            return
        # The audit log refuses DELETE (migration 0009): lifted for this test's reset only.
        db.execute_sql("DROP TRIGGER audit_log_no_delete")
        db.execute_sql("PRAGMA foreign_keys = OFF")
        with db.atomic():
            for table in names:
                db.execute_sql(f'DELETE FROM "{table}"')  # noqa: S608 - the models' own table names
        db.execute_sql("PRAGMA foreign_keys = ON")
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def scenario(app, client, make, fake, bot, chunk: int, staff_reply: bool, monkeypatch) -> dict:
    reset()
    with app.app_context(), db.connection_context():
        cache.clear_all()
        make.master_data()
        limiter().reset()
        StaffIdentity.create(staff=make.officer, kind="phone", value=phone_hash(P_STAFF), shown="139****0013")
        cache.clear_all()
    for n, phone in enumerate(P):
        bot.complete(f"GA-2026-{n:04d}", phone=phone)
    bot.complete("GA-2026-0099", phone=P_TWO, item_code="610118-GAJ-001")
    assert bot.send() == {"sent": len(P) + 1}
    # P[14]'s case is rated on the window tablet before the SMS reply comes (its invitation closes);
    # P[6]'s by a racing rating of another channel (its invitation still open).
    body = {"channel": "pad", "case_no": "GA-2026-0014", "level": 5}
    assert client.post("/api/v1/ratings", json=body, headers=make.auth(make.police_key)).status_code == 201
    with app.app_context(), db.connection_context():
        # Written as a rating of another channel that committed after the inbox read the open
        # invitation would be: the invitation is left open, only the unique index knows.
        case = Case.by_case_no("GA-2026-0006")
        Rating.create(case=case, level=4, label_version="2026.1", channel="h5", department=case.department_id)
    replies = REPLIES + ([(P_STAFF, "5")] if staff_reply else [])
    items = [fake.up_item(phone, text, sequence_id=str(1000 + n)) for n, (phone, text) in enumerate(replies)]
    assert client.post(UP, json=items).status_code == 200
    monkeypatch.setattr(inbox, "CHUNK", chunk)
    monkeypatch.setattr(inbox, "CHUNK_SECONDS", 60)  # one chunk, however slow the machine
    with app.app_context():
        counts = inbox.process_inbox()
    with app.app_context(), db.connection_context():
        return {"counts": counts, **snapshot()}


def snapshot() -> dict:
    """The stored state, ids of ratings and tickets as their rank: PostgreSQL's sequences keep
    the numbers a rolled-back chunk drew, so only their order is the same in both runs."""
    rollup.fold()  # the rating rollup as its job leaves it
    rank_r = {rid: n for n, rid in enumerate(sorted(r.id for r in Rating.select(Rating.id)), 1)}
    rank_t = {tid: n for n, tid in enumerate(sorted(t.id for t in Ticket.select(Ticket.id)), 1)}

    def norm(value) -> str:
        text = str(value)
        text = re.sub(r"^device:\w+", "device:*", text)  # the department's API key is drawn anew per run
        text = re.sub(r"CP(\d{8})(\d{6})", lambda m: f"CP{m[1]}R{rank_r.get(int(m[2]), m[2])}", text)
        text = re.sub(
            r'(rating[: ]|sms:(?:ack|thanks|reason):|"rating_id": )(\d+)',
            lambda m: f"{m[1]}R{rank_r.get(int(m[2]), m[2])}",
            text,
        )
        return re.sub(r"(ticket(?:-new)?[: ])(\d+)", lambda m: f"{m[1]}T{rank_t.get(int(m[2]), m[2])}", text)

    def rows(query, *fields):
        out = []
        for r in query:
            values = []
            for f in fields:
                value = getattr(r, f)
                if f in ("rating_id", "ticket_id") or (f == "id" and isinstance(r, Rating)):
                    value = ("R" if f != "ticket_id" else "T") + str((rank_t if f == "ticket_id" else rank_r)[value])
                values.append(norm(value))
            out.append(tuple(values))
        return sorted(out)

    outbox = {}
    for row in Outbox.select():
        data = json.dumps(row.data, sort_keys=True)
        outbox[norm(row.dedupe_key)] = (row.kind, row.state, str(row.available_at), norm(data))
    return {
        "ratings": rows(
            Rating.select(),
            *("id", "case_id", "sequence", "level", "labels", "comment", "channel", "rater_ref"),
            *("department_id", "hall_id", "window_id", "staff_id", "item_id", "is_bad", "excluded", "created_at"),
        ),
        "tickets": rows(Ticket.select(), "ticket_no", "rating_id", "state", "due_at", "assignee_id", "department_id"),
        "events": rows(TicketEvent.select(), "ticket_id", "action", "to_state", "note"),
        "notifications": rows(Notification.select(), "dedupe_key", "kind", "text"),
        "audit": rows(AuditLog.select(), "actor", "action", "target"),
        "invitations": rows(Invitation.select(), "case_id", "state"),
        "prompts": rows(SmsMessage.select(), "phone_hash", "purpose", "ref", "state", "closed_at"),
        "inbox": rows(SmsInbox.select(), "id", "state", "outcome", "detail"),
        "outbox": outbox,
        "rating_rollup": rows(
            RatingRollup.select().where(RatingRollup.n != 0),
            "grain",
            "period",
            "dim",
            "unit_id",
            "channel",
            "level",
            "n",
        ),
        "case_rollup": rows(CaseRollup.select(), "department_id", "day", "completed", "rated"),
        "ticket_rollup": rows(TicketRollup.select(), "department_id", "day", "bad"),
    }


@pytest.mark.parametrize("staff_reply", [False, True], ids=["set", "refused-in-set"])
def test_a_chunk_rated_as_one_set_stores_exactly_what_one_by_one_does(
    app, client, make, fake, bot, monkeypatch, staff_reply
):
    submitted = []
    real = rating_batch.submit_case_ratings

    def spy(requests):
        submitted.append(len(requests))
        return real(requests)

    monkeypatch.setattr("sms.batch.submit_case_ratings", spy)
    one_by_one = scenario(app, client, make, fake, bot, 1, staff_reply, monkeypatch)
    assert submitted == []  # chunks of one reply: `submit_rating`, as the H5 page and the API
    as_set = scenario(app, client, make, fake, bot, 200, staff_reply, monkeypatch)
    assert submitted == [len(REPLIES) - 4 + staff_reply]  # all but TD, 你好, the two-case phone, P[14]

    for part in one_by_one:
        assert as_set[part] == one_by_one[part], part
    counts = as_set["counts"]
    assert counts["rated"] == 9 and counts["already_rated"] == 2 and counts["clarified"] == 2
    assert counts["opted_out"] == 1 and counts.get("refused", 0) == int(staff_reply)
    # The 差评 opened their tickets and were acknowledged, the others thanked.
    assert len(as_set["tickets"]) == 3
    keys = list(as_set["outbox"])
    assert sum(k.startswith("sms:ack:") for k in keys) == 3 and sum(k.startswith("sms:thanks:") for k in keys) == 6
    assert sum(k.startswith("rating:") for k in keys) == 10  # the tablet's and the nine replies'
