"""Paper-form ratings (书面评价表格) of towns not yet connected: each form one rating.

The one rule for writing them, shared by the admin's import and the demo: every
form goes through the rating core (`submit_rating`, channel `paper`, the window as
target, one device rater per batch), is dated at noon of its 评价日期 so that it
counts in that month (a 差评 opens its ticket like any other), and the forms of a
month count as each of their towns' submission (报送) of that month.
"""

import datetime as dt

from core.errors import ApiError
from figures import submissions
from models import Rating

from .core import RatingRequest
from .core import submit_rating


def record_forms(entries: list[dict], month: str, batch: str, actor: str) -> dict:
    """`entries`: [{"window", "day", "level", "count", "labels", "comment", "row"?}] of one month.
    Returns {"ratings", "bad", "submitted"}; an ApiError carries the entry's `row`."""
    ratings = bad = 0
    forms: dict = {}
    for entry in entries:
        department_id = entry["window"].department_id
        forms[department_id] = forms.get(department_id, 0) + entry["count"]
        at = dt.datetime.combine(entry["day"], dt.time(12, 0))
        for _ in range(entry["count"]):
            req = RatingRequest(
                level=entry["level"],
                channel="paper",
                labels=entry.get("labels") or [],
                comment=entry.get("comment"),
                window=entry["window"],
                rater_ref=f"device:paper-{batch}",
            )
            try:
                result = submit_rating(req)
            except ApiError as exc:
                exc.row = entry.get("row", "—")
                raise
            # The form was filled in on its own day: it counts in that month.
            Rating.update(created_at=at).where(Rating.id == result.rating.id).execute()
            ratings += 1
            bad += result.ticket is not None
    submitted = submissions.record_paper(forms, month, actor) if entries else 0
    return {"ratings": ratings, "bad": bad, "submitted": submitted}
