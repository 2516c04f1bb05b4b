"""Case intake: create or update a case reported by a business system.

Idempotent on `case_no`: the same message twice changes nothing twice, and a
late "accepted" after "completed" does not move the case back. A case that
becomes completed with an applicant phone gets its one invitation, written in
the same transaction as an outbox row for the scheduler to send.
"""

import datetime as dt
import re

from peewee import IntegrityError

from core import clock
from core.codes import new_rating_code
from core.codes import normalize_id_number
from core.codes import normalize_phone
from core.config import current_settings
from core.errors import error
from models import Case
from models import Department
from models import Hall
from models import Invitation
from models import Item
from models import OptOut
from models import Outbox
from models import Rating
from models import Staff
from models import Window
from models import db
from models.case import APPLICANT_TYPES
from models.case import CASE_MODES
from models.case import CASE_STATUSES

_CASE_NO = re.compile(r"^[\w\-./:#]{1,64}$")
_CODE = re.compile(r"^[\w\-.]{1,64}$")
OPEN_INVITATION_STATES = ("scheduled", "sent", "delivered", "failed")
PERSONAL_FIELDS = ("applicant_name", "applicant_phone", "applicant_type", "applicant_id_number")


class Lookups:
    """Master data by code, read once per request (a batch names the same items and windows often)."""

    def __init__(self):
        self._cache: dict = {}

    def get(self, model, code: str):
        key = (model, code)
        if key not in self._cache:
            self._cache[key] = model.by_code(code)
        return self._cache[key]

    def remember(self, row) -> None:
        self._cache[(type(row), row.code)] = row

    def memo(self, key, compute):
        """Any other fact read once per request (`compute()` on the first ask)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def rating_url(code: str) -> str:
    return current_settings().app.base_url.rstrip("/") + "/r/" + code


def upsert_case(payload, department: Department, lookups: Lookups | None = None) -> tuple[dict, bool]:
    """Create or update one case for `department`; returns (result, created)."""
    fields = parse_case(payload, department, lookups or Lookups())
    now = clock.now()  # the request's one time, as in a batch (cases/batch.py)
    with db.atomic():
        case = Case.by_case_no(fields["case_no"])
        created = case is None
        if created:
            case = Case(case_no=fields["case_no"], rating_code=new_rating_code(), created_at=now)
        elif case.department_id != department.id:
            error("forbidden_department", "该办件属于其他部门，本密钥无权修改", 403)
        apply_case(case, fields, now)
        try:
            with db.atomic():
                case.save()
        except IntegrityError:
            # A concurrent request created the same case_no (or, once in 2^45, the
            # same rating code): take the stored row and apply this message to it.
            case = Case.by_case_no(fields["case_no"])
            if case is None or case.department_id != department.id:
                raise
            created = False
            apply_case(case, fields, now)
            case.save()
        invitation = _invite(case, now)
    return {
        "case_no": case.case_no,
        "rating_code": case.rating_code,
        "rating_url": rating_url(case.rating_code),
        "invitation": invitation,
    }, created


def parse_case(payload, department: Department, lookups: Lookups) -> dict:
    """Validate one message into the fields of a case; raises ApiError (4xx) on bad input."""
    if not isinstance(payload, dict):
        error("invalid_body", "办件必须是 JSON 对象", 422)
    case_no = payload.get("case_no")
    if not isinstance(case_no, str) or not _CASE_NO.match(case_no):
        error("invalid_case_no", "case_no 必须是 1–64 位的字母、数字或 -_./:#", 422)
    dept_code = _code(payload, "dept_code", required=True)
    if dept_code != department.code:
        error("forbidden_department", f"本密钥只能报送本部门（{department.code}）的办件", 403)
    mode = payload.get("mode", "offline")
    if mode not in CASE_MODES:
        error("invalid_mode", "mode 必须是 offline 或 online", 422)
    status = payload.get("status")
    if status not in CASE_STATUSES:
        error("invalid_status", "status 必须是 accepted 或 completed", 422)
    fields = {
        "case_no": case_no,
        "department": department,
        "item": _item(payload, department, lookups),
        "mode": mode,
        "status": status,
        "accepted_at": _time(payload, "accepted_at"),
        "completed_at": _time(payload, "completed_at"),
    }
    fields.update(_places(payload, department, lookups))
    fields.update(_applicant(payload.get("applicant")))
    return fields


def _code(payload: dict, key: str, required: bool = False) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _CODE.match(value):
        error(f"invalid_{key}", f"{key} 必须是 1–64 位的代码字符串", 422)
    return value


def _item(payload: dict, department: Department, lookups: Lookups) -> Item:
    code = _code(payload, "item_code", required=True)
    item = lookups.get(Item, code)
    if item is not None:
        if item.department_id != department.id:
            # Another department's item would put this case, and its rating, in that department's item figures.
            error(
                "item_not_in_department",
                f"item_code：事项 {code} 属于其他部门，不能报送为本部门（{department.code}）的办件",
                422,
                field="item_code",
            )
        return item
    name = payload.get("item_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        error("unknown_item", f"事项 {code} 不在事项清单中；请先导入清单，或同时提供 item_name", 422)
    # Coverage first (每个事项均可评价): an item not yet in the catalogue is
    # registered under the reporting department, for the bureau to classify.
    try:
        with db.atomic():
            item = Item.create(code=code, name=name.strip(), department=department, source="api")
    except IntegrityError:
        item = Item.by_code(code)
    lookups.remember(item)
    return item


def _places(payload: dict, department: Department, lookups: Lookups) -> dict:
    hall_code = _code(payload, "hall_code")
    window_code = _code(payload, "window_code")
    staff_code = _code(payload, "staff_code")
    hall = window = staff = None
    if hall_code:
        hall = lookups.get(Hall, hall_code) or error("unknown_hall", f"大厅 {hall_code} 不存在", 422)
        if not _hall_open_to(hall, department, lookups):
            error(
                "hall_not_in_department",
                f"hall_code：大厅 {hall_code} 既不是本部门的大厅，也不是区行政审批局的综合大厅",
                422,
                field="hall_code",
            )
    if window_code:
        window = lookups.get(Window, window_code) or error("unknown_window", f"窗口 {window_code} 不存在", 422)
        if window.department_id != department.id:
            error(
                "window_not_in_department",
                f"window_code：窗口 {window_code} 属于其他部门，本部门的办件不能记在该窗口",
                422,
                field="window_code",
            )
        if hall is not None and window.hall_id != hall.id:
            error("window_not_in_hall", f"窗口 {window_code} 不属于大厅 {hall_code}", 422, field="window_code")
        hall = hall or lookups.get(Hall, window.hall.code)
    if staff_code:
        staff = lookups.get(Staff, staff_code) or error("unknown_staff", f"工作人员 {staff_code} 不存在", 422)
        if staff.department_id != department.id:
            error("staff_not_in_department", f"staff_code：工作人员 {staff_code} 不属于本部门", 422, field="staff_code")
    return {"hall": hall, "window": window, "staff": staff}


def _hall_open_to(hall: Hall, department: Department, lookups: Lookups) -> bool:
    """A department reports cases in its own halls and in the bureau's shared ones (鄠邑市民之家,
    where its windows sit); another department's hall would put the case in that hall's figures."""
    if hall.department_id == department.id:
        return True
    return lookups.memo(
        ("bureau hall", hall.department_id),
        lambda: Department.select().where((Department.id == hall.department_id) & Department.is_bureau).exists(),
    )


def _time(payload: dict, key: str) -> dt.datetime | None:
    value = payload.get(key)
    if value is None:
        return None
    try:
        return clock.parse_iso(value)
    except (TypeError, ValueError):
        error(f"invalid_{key}", f"{key} 必须是 ISO 8601 时间，如 2026-11-26T10:00:00+08:00", 422)


def _applicant(value) -> dict:
    if value is None:
        return {"applicant_name": None, "applicant_phone": None, "applicant_type": None, "applicant_id_number": None}
    if not isinstance(value, dict):
        error("invalid_applicant", "applicant 必须是 JSON 对象", 422)
    name, phone, kind = value.get("name"), value.get("phone"), value.get("type")
    if name is not None and (not isinstance(name, str) or len(name) > 100):
        error("invalid_applicant_name", "申请人姓名必须是不超过 100 字的字符串", 422)
    if phone is not None:
        if not isinstance(phone, str):
            error("invalid_phone", "申请人手机号必须是字符串", 422)
        phone = normalize_phone(phone) or error("invalid_phone", "申请人手机号不是有效的大陆手机号码", 422)
    if kind is not None and kind not in APPLICANT_TYPES:
        error("invalid_applicant_type", "申请人类型必须是 person 或 legal", 422)
    id_number = value.get("id_number")
    if id_number is not None:
        if not isinstance(id_number, str):
            error("invalid_id_number", "证件号码必须是字符串", 422)
        id_number = normalize_id_number(id_number) or error(
            "invalid_id_number", "证件号码不是有效的居民身份证号码或统一社会信用代码", 422
        )
    return {
        "applicant_name": (name or "").strip() or None,
        "applicant_phone": phone,
        "applicant_type": kind,
        "applicant_id_number": id_number,
    }


def apply_case(case: Case, fields: dict, now: dt.datetime) -> None:
    """Apply one message to the case at `now` (the request's time); a completed case is never re-opened."""
    case.item = fields["item"]
    case.department = fields["department"]
    case.mode = fields["mode"]
    for key in ("hall", "window", "staff", "accepted_at", *PERSONAL_FIELDS):
        if fields[key] is not None:  # an update that omits a field keeps what is stored
            setattr(case, key, fields[key])
    if fields["status"] == "completed":
        case.status = "completed"
        # The first completion time stands; a repeated or late message does not move it.
        case.completed_at = case.completed_at or fields["completed_at"] or now
    elif case.status != "completed":
        case.status = "accepted"
    if case.status == "accepted" and case.accepted_at is None:
        case.accepted_at = now
    case.updated_at = now


def _invite(case: Case, now: dt.datetime) -> str:
    """The invitation state for the answer; schedules the one SMS invitation."""
    existing = Invitation.for_case(case)
    state, send_after = invitation_decision(
        case,
        rated=Rating.first_for_case(case) is not None,
        existing=existing,
        opted_out=bool(case.applicant_phone) and existing is None and OptOut.has(case.applicant_phone),
        now=now,
    )
    if send_after is not None:
        invitation = Invitation.create(case=case, channel="sms", send_after=send_after, created_at=now)
        Outbox.put("sms.invite", f"invite:{invitation.id}", {"invitation_id": invitation.id}, available_at=send_after)
    return state


def invitation_decision(
    case: Case, rated: bool, existing, opted_out: bool, now: dt.datetime
) -> tuple[str, dt.datetime | None]:
    """(what to answer, when to send a new invitation or None) for a stored case, at `now`."""
    if rated:
        return "already_rated", None
    if case.status != "completed" or not case.applicant_phone:
        return "none", None
    if existing is not None:
        return ("scheduled" if existing.state in OPEN_INVITATION_STATES else "none"), None
    if opted_out:
        return "opted_out", None
    settings = current_settings()
    if case.completed_at + dt.timedelta(days=settings.ratings.rating_window_days) <= now:
        return "none", None  # reported too late to be rated
    return "scheduled", case.completed_at + dt.timedelta(minutes=settings.sms.invite_delay_minutes)
