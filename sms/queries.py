"""What staff see of the SMS bot: every invitation's state, why it failed or
waits, and the counts. Phone numbers leave here masked."""

from peewee import fn

from core import clock
from core.codes import mask_phone
from models import Case
from models import Department
from models import Invitation
from models import Item
from models import Outbox
from models.sms import SmsInbox
from models.sms import SmsMessage


def _outbox_for(invitation_ids: list[int]) -> dict:
    keys = {f"invite:{i}": i for i in invitation_ids}
    rows = Outbox.select().where(Outbox.dedupe_key.in_(list(keys)))
    return {keys[row.dedupe_key]: row for row in rows}


def listing(state=None, department=None, limit: int = 50, offset: int = 0) -> list[dict]:
    """Invitations, newest first, each with why it failed or what it waits for."""
    query = (
        Invitation.select(Invitation, Case, Item, Department)
        .join(Case)
        .join(Item, on=(Case.item == Item.id))
        .join_from(Case, Department, on=(Case.department == Department.id))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if state:
        query = query.where(Invitation.state == state)
    if department is not None:
        query = query.where(Case.department == department)
    invitations = list(query)
    outbox = _outbox_for([inv.id for inv in invitations])
    rows = []
    for inv in invitations:
        case, pending = inv.case, outbox.get(inv.id)
        waiting = pending is not None and pending.state == "pending" and inv.state == "scheduled"
        rows.append(
            {
                "id": inv.id,
                "case_no": case.case_no,
                "item": case.item.name,
                "department": case.department.name,
                "phone": mask_phone(case.applicant_phone),
                "state": inv.state,
                "send_after": clock.iso(inv.send_after),
                "sent_at": clock.iso(inv.sent_at),
                "delivered_at": clock.iso(inv.delivered_at),
                "reminded_at": clock.iso(inv.reminded_at),
                "attempts": inv.attempts,
                "provider_id": inv.provider_id,
                "error_code": inv.error_code,
                "error_message": inv.error_message,
                # Why a scheduled invitation has not left yet, and when it will try.
                "waiting_reason": pending.last_error if waiting else None,
                "next_attempt_at": clock.iso(pending.available_at) if waiting else None,
            }
        )
    return rows


def state_counts(department=None) -> dict:
    """{state: count} of SMS invitations."""
    query = Invitation.select(Invitation.state, fn.COUNT(Invitation.id).alias("n")).where(Invitation.channel == "sms")
    if department is not None:
        query = query.join(Case).where(Case.department == department)
    return {row.state: row.n for row in query.group_by(Invitation.state)}


def inbox_counts() -> dict:
    """{(kind, outcome or state): count} of stored callbacks: replies nobody understood show here."""
    query = SmsInbox.select(SmsInbox.kind, SmsInbox.state, SmsInbox.outcome, fn.COUNT(SmsInbox.id).alias("n"))
    counts: dict = {}
    for row in query.group_by(SmsInbox.kind, SmsInbox.state, SmsInbox.outcome):
        key = (row.kind, row.outcome or row.state)
        counts[key] = counts.get(key, 0) + row.n
    return counts


def message_counts() -> dict:
    return SmsMessage.state_counts()


def replies_needing_attention(limit: int = 50) -> list[dict]:
    """Replies the bot could not use (unclear after asking back, or failed), newest
    first, for staff to follow up by phone. The number is masked."""
    query = (
        SmsInbox.select()
        .where((SmsInbox.kind == "up") & ((SmsInbox.outcome == "unclear") | (SmsInbox.state == "failed")))
        .order_by(SmsInbox.id.desc())
        .limit(limit)
    )
    rows = []
    for row in query:
        data = row.data
        rows.append(
            {
                "id": row.id,
                "phone": mask_phone(data.get("phone_number")),
                "content": data.get("content"),
                "received_at": clock.iso(row.received_at),
                "outcome": row.outcome,
                "detail": row.detail,
            }
        )
    return rows
