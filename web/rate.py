"""The H5 rating pages: `/r/<rating_code>` (the SMS link) and `/q/<scene>`
(a window's or staff member's QR code). Mobile-first, no script needed,
CSRF-protected; every rating goes through the rating core."""

from flask import Blueprint
from flask import abort
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for

from core.codes import mask_phone
from core.codes import normalize_phone
from core.config import current_settings
from core.errors import ApiError
from core.numbers import to_int
from edge.limits import client_ip
from models import LEVEL_NAMES
from models import RaterContact
from models import Rating
from models import RatingFlag
from models import Ticket
from models import db
from ratings import context
from ratings import verification
from ratings.core import RatingRequest
from ratings.core import submit_rating
from ratings.fraud import HELD_NOTICE

from . import rater

bp = Blueprint(
    "rate", __name__, template_folder="templates", static_folder="static/rate", static_url_path="/rate-static"
)

# Refusals of the rating core that get their own page instead of the form.
FINAL = {"already_rated": 409, "rating_expired": 410, "rating_limit_reached": 429}


def page(template: str, status: int = 200, **values):
    response = make_response(render_template(f"web/rate/{template}", **values), status)
    response.headers["Cache-Control"] = "no-store"
    return rater.ensure(response)


def go(url: str):
    """See-other after a POST (and the rater cookie, if this request made one)."""
    return rater.ensure(redirect(url, 303))


def message(title: str, text: str, status: int, **values):
    return page("message.html", status, title=title, message=text, **values)


def unknown_code():
    return message("评价链接无效", "没有找到这个评价链接。请核对短信中的链接是否完整，或向办事窗口咨询。", 404)


# -- /r/<rating_code> ---------------------------------------------------------


@bp.route("/r/<code>", methods=["GET", "POST"])
def case_page(code):
    case = context.case_by_code(code)
    if case is None:
        return unknown_code()
    if context.rated(case):
        return rated_page(case, 409 if request.method == "POST" else 200)
    if context.case_expired(case):
        return expired_page()
    values = {"target": context.describe_case(case), "action": url_for(".case_page", code=case.rating_code)}
    if request.method == "GET":
        return form_page(values)
    form = read_form()
    try:
        ref = rater.rater_ref(browser_token())
        submit_rating(RatingRequest(channel="h5", case=case, rater_ref=ref, client_ip=client_ip(), **form))
    except ApiError as exc:
        if exc.code == "already_rated":
            return rated_page(case, 409)
        if exc.code == "rating_expired":
            return expired_page()
        return form_page(values, friendly(exc), form, 422)
    return go(url_for(".case_thanks", code=case.rating_code))


@bp.get("/r/<code>/thanks")
def case_thanks(code):
    case = context.case_by_code(code)
    if case is None:
        return unknown_code()
    rating = Rating.first_for_case(case)
    if rating is None:
        return go(url_for(".case_page", code=case.rating_code))
    return thanks_page(rating, phone=case.applicant_phone)


def rated_page(case, status: int):
    rating = Rating.first_for_case(case)
    ticket = Ticket.for_rating(rating) if rating.is_bad else None
    added = addendum.of(case)
    return page(
        "rated.html",
        status,
        rating=rating,
        level_name=LEVEL_NAMES[rating.level],
        ticket=ticket,
        ticket_state=ticket.citizen_state_label if ticket else None,
        added=added,
        added_level=LEVEL_NAMES[added.level] if added else None,
        addendum_until=addendum.offered_until(case, rating) if added is None else None,
    )


def expired_page():
    days = current_settings().ratings.rating_window_days
    return message("评价已过期", f"该办件办结已超过 {days} 天，评价通道已关闭。感谢您的关注。", 410)


# -- /q/<scene> ----------------------------------------------------------------


@bp.route("/q/<scene>", methods=["GET", "POST"])
def onsite_page(scene):
    found = context.target_from(scene=scene)
    if found is None:
        return message("二维码无效", "没有找到这个窗口或工作人员，二维码可能已停用。请向大厅工作人员咨询。", 404)
    window, staff = found[1]
    token = browser_token()
    ref = rater.rater_ref(token)
    left = context.onsite_left(ref, window)
    if left == 0 and request.method == "GET":
        return limit_page()
    values = {
        "target": context.describe_onsite(window, staff),
        "action": url_for(".onsite_page", scene=scene),
        "onsite": True,
        "left": left,
    }
    if request.method == "GET":
        return form_page(values)
    form = read_form()
    phone_raw = request.form.get("phone", "").strip()
    phone = normalize_phone(phone_raw) if phone_raw else None
    if phone_raw and phone is None:
        return form_page(values, "手机号格式不正确，请填写 11 位手机号，或留空。", form, 422, phone=phone_raw)
    if request.form.get("op") == "otp":
        return send_code(values, form, phone, phone_raw)
    code = request.form.get("otp_code", "").strip()
    try:
        if phone and code:
            # A verified phone binds the rating to the person, not to this browser's cookie.
            verification.check_code(session.get("otp"), phone, code)
            ref = verification.rater_ref(phone)
        with db.atomic():
            req = RatingRequest(
                channel="qr",
                window=window,
                staff=staff,
                rater_ref=ref,
                client_ip=client_ip(),
                rater_phone=phone,
                **form,
            )
            result = submit_rating(req)
            if phone and result.rating.is_bad:
                RaterContact.create(rating=result.rating, phone=phone)
    except ApiError as exc:
        if exc.code == "rating_limit_reached":
            return limit_page()
        otp_sent = exc.code.startswith("otp_") or bool(code)
        return form_page(values, friendly(exc), form, 422, phone=phone_raw, otp_sent=otp_sent)
    session.pop("otp", None)
    session["rated"] = result.rating.id
    return go(url_for(".onsite_thanks", scene=scene))


def send_code(values: dict, form: dict, phone: str | None, phone_raw: str):
    """ "获取验证码": an SMS code for the phone typed in; the form comes back as it was filled in."""
    if phone is None:
        return form_page(values, "请先填写 11 位手机号，再获取验证码。", form, 422, phone=phone_raw)
    try:
        row = verification.send_code(phone)
    except ApiError as exc:
        return form_page(values, exc.message, form, exc.status, phone=phone_raw)
    session["otp"] = row.id
    minutes = current_settings().ratings.otp_minutes
    sent = f"验证码已发送至 {mask_phone(phone)}，{minutes} 分钟内有效。填写验证码后提交评价。"
    return form_page(values, None, form, 200, phone=phone_raw, otp_sent=True, notice=sent)


@bp.get("/q/<scene>/thanks")
def onsite_thanks(scene):
    rating_id = session.get("rated")
    rating = Rating.get_or_none(Rating.id == rating_id) if isinstance(rating_id, int) else None
    # This browser's own rating: by its cookie, or by the phone it verified (the signed session says which).
    mine = rating is not None and (
        rating.rater_ref == rater.rater_ref(browser_token()) or (rating.rater_ref or "").startswith("phone:")
    )
    if not mine:
        return go(url_for(".onsite_page", scene=scene))
    contact = RaterContact.for_rating(rating)
    return thanks_page(rating, phone=contact.phone if contact else None)


def limit_page():
    limit = current_settings().ratings.onsite_daily_limit
    return message("今日评价次数已满", f"同一窗口每人每天最多评价 {limit} 次，感谢您的参与。", 429)


# -- shared --------------------------------------------------------------------


def browser_token() -> str:
    return rater.token()


def friendly(exc: ApiError) -> str:
    if exc.code == "invalid_level":
        return "请先选择一个评价等级（从“非常满意”到“非常不满意”）。"
    return exc.message


def read_form() -> dict:
    """The form as RatingRequest fields; labels of other levels are dropped
    (without script the page shows every level's labels)."""
    raw_level = request.form.get("level", "")
    level = to_int(raw_level, 1, 5) or raw_level or None
    labels = request.form.getlist("labels")
    if isinstance(level, int):
        allowed = {item["code"] for lv in context.levels()["levels"] if lv["level"] == level for item in lv["labels"]}
        labels = [code for code in labels if code in allowed]
    return {"level": level, "labels": labels, "comment": request.form.get("comment") or None}


def form_page(
    values: dict,
    error: str | None = None,
    form: dict | None = None,
    status: int = 200,
    phone: str = "",
    otp_sent: bool = False,
    notice: str | None = None,
):
    comment_max = current_settings().ratings.comment_max_length
    return page(
        "form.html",
        status,
        error=error,
        notice=notice,
        form=form or {},
        phone=phone,
        otp_sent=otp_sent,
        comment_max=comment_max,
        **context.levels(),
        **values,
    )


def thanks_page(rating, phone: str | None):
    ticket = Ticket.for_rating(rating) if rating.is_bad else None
    if rating.is_bad and ticket is None:
        abort(404)
    flag = RatingFlag.for_rating(rating)
    return page(
        "thanks.html",
        rating=rating,
        level_name=LEVEL_NAMES[rating.level],
        ticket=ticket,
        masked_phone=mask_phone(phone) if phone else None,
        # Kept, and counted once the bureau has looked at it: said calmly, without suspicion.
        held_notice=HELD_NOTICE if flag is not None and flag.review_state == "pending" else None,
        addendum_until=addendum.offered_until(rating.case, rating) if rating.case_id else None,
    )


from . import addendum  # noqa: E402  (its views register on this blueprint)
