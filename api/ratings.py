"""Ratings keyed in by a business system: a department's window tablets,
evaluators, kiosks and PC service hall; the bureau's paper forms and the 12345
hotline's phone ratings (a bureau key only: a department never keys in
ratings for itself, `models.rating.KEY_CHANNELS`)."""

import json
import re

from flask import current_app
from flask import g

from core.cache import TtlCache
from core.errors import error
from edge.json import addendum_flag
from edge.json import json_body
from models import Case
from models import Staff
from models import Window
from models.rating import CASE_ONLY_CHANNELS
from models.rating import CHANNELS
from models.rating import DEVICE_CHANNELS
from models.rating import KEY_CHANNELS
from ratings.core import RatingRequest
from ratings.core import submit_rating

from . import bp
from .auth import require_api_key

_DEVICE_ID = re.compile(r"^[\w\-.:]{1,40}$")

# Windows and staff by code, per process, for 30 s: every device rating names one.
# Only hits are kept (a new window works at once); an edit in the admin clears them.
_units = TtlCache(30, size=1024)


def _by_code(model, code: str):
    key = (model.__name__, code)
    row = _units.get(key)
    if row is None:
        row = model.by_code(code)
        if row is not None:
            if model is Staff and row.window_id is not None:
                row.window  # noqa: B018 - loaded once here, not on every rating
            _units.put(key, row)
    return row


@bp.post("/ratings")
@require_api_key
def post_rating():
    """Rate a case (by case_no) or, without one, a window or staff member."""
    body = json_body()
    if not isinstance(body, dict):
        error("invalid_body", "评价必须是 JSON 对象", 422)
    channel = body.get("channel")
    if channel not in DEVICE_CHANNELS:
        error("invalid_channel", f"channel 必须是 {' / '.join(DEVICE_CHANNELS)} 之一", 422)
    if channel not in KEY_CHANNELS["bureau" if g.api_key.bureau else "department"]:
        error(
            "channel_not_allowed",
            f"部门密钥不能提交“{CHANNELS[channel]}”（{channel}）渠道的评价：纸质评价表由区行政审批局导入或以局级密钥录入，"
            "电话评价（12345）只能以局级密钥提交",
            403,
            field="channel",
        )
    if channel in CASE_ONLY_CHANNELS and body.get("case_no") is None:
        error("missing_case_no", f"“{CHANNELS[channel]}”渠道的评价须提供办件编号 case_no", 422, field="case_no")
    device_id = body.get("device_id")
    if device_id is not None and (not isinstance(device_id, str) or not _DEVICE_ID.match(device_id)):
        error("invalid_device_id", "device_id 必须是 1–40 位的字母、数字或 -_.:", 422)
    req = RatingRequest(
        level=body.get("level"),
        channel=channel,
        labels=body.get("labels"),
        comment=body.get("comment"),
        addendum=addendum_flag(body),
        rater_ref=f"device:{g.api_key.prefix}" + (f":{device_id}" if device_id else ""),
        **_targets(body),
    )
    # The answer written directly: Flask's jsonify (provider, mimetype lookups) cost more than the JSON.
    body = json.dumps(submit_rating(req).to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
    return current_app.response_class(body, 201, mimetype="application/json")


def _targets(body: dict) -> dict:
    """The case, or the window/staff rated on site: of the caller's department (a bureau key: any)."""
    case_no, window_code, staff_code = body.get("case_no"), body.get("window_code"), body.get("staff_code")
    for key, value in (("case_no", case_no), ("window_code", window_code), ("staff_code", staff_code)):
        if value is not None and (not isinstance(value, str) or not 0 < len(value) <= 64):
            error(f"invalid_{key}", f"{key} 必须是 1–64 位的字符串", 422)
    staff = None
    if staff_code is not None:
        staff = _by_code(Staff, staff_code) or error("unknown_staff", f"工作人员 {staff_code} 不存在", 422)
        _own(staff.department_id, "staff_code", "该工作人员")
    if case_no is not None:
        case = Case.by_case_no(case_no) or error("case_not_found", f"办件 {case_no} 不存在", 404)
        _own(case.department_id, "case_no", "该办件")
        if staff is not None and staff.department_id != case.department_id:
            message = f"staff_code：工作人员 {staff_code} 不属于该办件的部门"
            error("staff_not_in_department", message, 422, field="staff_code")
        return {"case": case, "staff": staff}
    if window_code is None and staff is None:
        error("missing_target", "请提供 case_no，或 window_code / staff_code", 422)
    window = None
    if window_code is not None:
        window = _by_code(Window, window_code) or error("unknown_window", f"窗口 {window_code} 不存在", 422)
        _own(window.department_id, "window_code", "该窗口")
    return {"window": window, "staff": staff}


def _own(department_id: int, field: str, what: str) -> None:
    """A reference of another department: refused, naming the field (a bureau key rates for every department)."""
    if department_id != g.department.id and not g.api_key.bureau:
        error("forbidden_department", f"{field}：{what}属于其他部门，本密钥无权提交评价", 403, field=field)
