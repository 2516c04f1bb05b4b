"""What staff see of the upstream push: backlog, failures, reconciliations.

Query functions for the admin pages and the `flask upstream …` commands;
they expect an open connection (a request, or `db.connection_context()`).
"""

from core.config import current_settings
from models import AuditLog
from models import Department
from models import Outbox
from models import Rating
from models import UpstreamPush
from models import UpstreamReconciliation

from .push import KIND
from .push import requeue


def backlog() -> dict:
    """The push queue at a glance.

    {"enabled", "pending" (queued, not yet accepted), "retrying" (of those, after a failed
    attempt), "oldest_pending_at", "last_error" (the latest transient failure), "accepted",
    "rejected"}
    """
    pending = Outbox.select().where((Outbox.kind == KIND) & (Outbox.state == "pending"))
    oldest = pending.order_by(Outbox.created_at, Outbox.id).first()
    latest_retry = pending.where(Outbox.attempts > 0).order_by(Outbox.available_at.desc()).first()
    counts = UpstreamPush.counts()
    return {
        "enabled": current_settings().upstream.enabled,
        "pending": pending.count(),
        "retrying": pending.where(Outbox.attempts > 0).count(),
        "oldest_pending_at": oldest.created_at if oldest else None,
        "last_error": latest_retry.last_error if latest_retry else None,
        "accepted": counts.get("accepted", 0),
        "rejected": counts.get("rejected", 0),
    }


def failures(department_id: int | None = None, limit: int = 200) -> list[dict]:
    """Rejected ratings with the city's reason, newest first (optionally one department's)."""
    query = (
        UpstreamPush.select(UpstreamPush, Rating, Department)
        .join(Rating)
        .join(Department)
        .where(UpstreamPush.state == "rejected")
        .order_by(UpstreamPush.rejected_at.desc(), UpstreamPush.id.desc())
        .limit(limit)
    )
    if department_id is not None:
        query = query.where(Rating.department == department_id)
    return [
        {
            "rating_id": push.rating.id,
            "eval_id": push.eval_id,
            "department": push.rating.department.name,
            "channel": push.rating.channel,
            "level": push.rating.level,
            "rated_at": push.rating.created_at,
            "reason": push.reject_reason,
            "rejected_at": push.rejected_at,
            "attempts": push.attempts,
        }
        for push in query
    ]


def push_state(rating_id: int) -> dict | None:
    """One rating's push: {"eval_id", "state", "reason", "accepted_at", "attempts"} or None if never tried."""
    push = UpstreamPush.for_rating_id(rating_id)
    if push is None:
        return None
    return {
        "eval_id": push.eval_id,
        "state": push.state,
        "reason": push.reject_reason,
        "last_error": push.last_error,
        "accepted_at": push.accepted_at,
        "attempts": push.attempts,
    }


def last_reconciliation() -> UpstreamReconciliation | None:
    return UpstreamReconciliation.latest(1).first()


def reconciliations(limit: int = 30) -> list[UpstreamReconciliation]:
    return list(UpstreamReconciliation.latest(limit))


def retry_rejected(actor: str, rating_ids: list[int] | None = None) -> int:
    """Push rejected ratings again after a correction (all of them when `rating_ids` is None)."""
    query = UpstreamPush.select(UpstreamPush.rating).where(UpstreamPush.state == "rejected")
    if rating_ids is not None:
        query = query.where(UpstreamPush.rating.in_(rating_ids))
    ids = [row.rating_id for row in query]
    if not ids:
        return 0
    count = requeue(ids)
    AuditLog.record(actor, "upstream.retry", f"ratings:{len(ids)}", rating_ids=ids[:100])
    return count
