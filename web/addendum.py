"""追评 on the H5 page: the browser that gave a case its first rating may add one
addendum (`/r/<code>/addendum`) within `ratings.addendum_days` — through the
rating core like every rating (`submit_rating(..., addendum=True)`), which
keeps the rules (one addendum, the deadline, the rating window)."""

import datetime as dt

from flask import request
from flask import url_for

from core import clock
from core.config import current_settings
from core.errors import ApiError
from edge.limits import client_ip
from models import Rating
from models.rating import ADDENDUM
from ratings import context
from ratings.core import RatingRequest
from ratings.core import submit_rating

from . import rater
from .rate import bp
from .rate import expired_page
from .rate import form_page
from .rate import friendly
from .rate import go
from .rate import message
from .rate import rated_page
from .rate import read_form
from .rate import unknown_code


def of(case):
    """The case's 追评, or None."""
    return next((r for r in Rating.for_case(case) if r.sequence == ADDENDUM), None)


def offered_until(case, first) -> dt.datetime | None:
    """Until when this browser may add the 追评 to `first`; None when it may not (another rater,
    one already given, the days or the rating window over)."""
    token = rater.current_token()
    if token is None or first.rater_ref != rater.rater_ref(token) or of(case) is not None:
        return None
    until = first.created_at + dt.timedelta(days=current_settings().ratings.addendum_days)
    if clock.now() > until or context.case_expired(case):
        return None
    return until


@bp.route("/r/<code>/addendum", methods=["GET", "POST"])
def addendum_page(code):
    case = context.case_by_code(code)
    if case is None:
        return unknown_code()
    first = Rating.first_for_case(case)
    if first is None:
        return go(url_for(".case_page", code=case.rating_code))
    if of(case) is not None:
        return rated_page(case, 409 if request.method == "POST" else 200)
    if offered_until(case, first) is None:
        if context.case_expired(case):
            return expired_page()
        return message("不能追评", "追评须由首次评价的本人在规定期限内提交，每件办件只能追评一次。", 403)
    values = {
        "target": context.describe_case(case),
        "action": url_for(".addendum_page", code=case.rating_code),
        "heading": "追加评价（追评）",
        "intro": "您已对本次服务作出评价，可以补充一次追评。",
    }
    if request.method == "GET":
        return form_page(values)
    form = read_form()
    try:
        ref = rater.rater_ref(rater.token())
        submit_rating(
            RatingRequest(channel="h5", case=case, rater_ref=ref, client_ip=client_ip(), addendum=True, **form)
        )
    except ApiError as exc:
        if exc.code in ("already_has_addendum", "already_rated"):
            return rated_page(case, 409)
        if exc.code == "rating_expired":
            return expired_page()
        if exc.code == "addendum_closed":
            return message("追评已截止", exc.message, 409)
        return form_page(values, friendly(exc), form, 422)
    return go(url_for(".case_page", code=case.rating_code))
