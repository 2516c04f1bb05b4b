"""报送: each unit confirms its month's data to the bureau by the deadline (seed: 每月30日前).

Who may confirm: the unit's dept_admin, or its business contact's own account
(`BusinessContact.user`). The confirmation carries a comment and is made once per
unit and month (a unique index); after the month's deadline it is late (逾期报送).
Towns without a system hand in paper forms: their import counts as their
submission (`record_paper`). The bureau's board shows every unit of a month: 已报送,
逾期报送, 待报送 (before the deadline), 逾期未报送 (after it, nothing).
The bureau itself receives the submissions and makes none.
"""

from peewee import IntegrityError

from core import clock
from core.codes import mask_name
from core.codes import mask_phone
from core.codes import normalize_phone
from core.errors import error
from models import AuditLog
from models import BusinessContact
from models import Department
from models import MonthSubmission
from models import Notification
from models import User
from models import db
from models.access import DEPARTMENT_ROLES
from models.month import SUBMISSION_VIA

from .period import close_at
from .period import current_month
from .period import is_future
from .period import parse_month
from .period import remind_from

STATUS = {"on_time": "已报送", "late": "逾期报送", "pending": "待报送", "missing": "逾期未报送"}
MAX_COMMENT = 500


def units() -> list:
    """The units that submit: every active department but the bureau."""
    return [d for d in Department.directory() if not d.is_bureau]


def may_submit(user, department_id) -> bool:
    if user is None or not user.active or department_id is None:
        return False
    if user.role == "dept_admin" and user.department_id == department_id:
        return True
    contact = BusinessContact.of(department_id)
    return contact is not None and contact.user_id == user.id and user.department_id == department_id


def submit(user, month, comment) -> MonthSubmission:
    """Confirm the user's unit's data of `month`; raises ApiError on refusal."""
    month = parse_month(month)
    if month is None:
        error("invalid_month", "月份格式应为 YYYY-MM", 422)
    if is_future(month):
        error("month_not_available", "不能报送尚未开始的月份", 422)
    department = Department.get_or_none(Department.id == getattr(user, "department_id", None))
    if department is None or department.is_bureau or not may_submit(user, department.id):
        error("forbidden", "只有本单位的业务联系人或部门管理员可以报送", 403)
    if not isinstance(comment, str) or not comment.strip():
        error("comment_required", "请填写报送说明（如：本月数据已核对无误）", 422)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        error("comment_too_long", f"报送说明不能超过 {MAX_COMMENT} 字", 422)
    now = clock.now()
    try:
        with db.atomic():
            row = MonthSubmission.create(
                department=department, month=month, via="admin", submitted_by=user, comment=comment, submitted_at=now
            )
            AuditLog.record(f"user:{user.username}", "month.submit", f"month:{month}:{department.code}")
            late = "（已逾期）" if now > close_at(month) else ""
            Notification.put(
                f"month-submitted:{month}:{department.id}",
                "month.submitted",
                f"{department.name}已报送 {month[:4]}年{month[5:]}月好差评数据{late}：{comment[:60]}",
                ref=f"month:{month}",
            )
    except IntegrityError:
        error("already_submitted", f"本单位 {month} 的数据已报送", 409)
    return row


def record_paper(department_forms: dict, month: str, actor: str) -> int:
    """The paper-form import of `month` counts as the submission of each unit in it
    ({department id: forms}); a unit that submitted already keeps its submission."""
    made = 0
    for department_id, forms in sorted(department_forms.items()):
        if MonthSubmission.find(department_id, month) is not None:
            continue
        with db.atomic():
            MonthSubmission.create(
                department=department_id,
                month=month,
                via="paper",
                comment=f"纸质评价表导入 {forms} 份",
                submitted_at=clock.now(),
            )
            AuditLog.record(actor, "month.submit", f"month:{month}:paper:{department_id}", forms=forms)
        made += 1
    return made


def status(month: str, submission, now=None) -> str:
    now = now or clock.now()
    deadline = close_at(month)
    if submission is not None:
        return "on_time" if submission.submitted_at <= deadline else "late"
    return "pending" if now < deadline else "missing"


def board(month: str, department_id: int | None = None, plain: bool = False) -> list[dict]:
    """Every submitting unit (or one) with its state for `month`; `plain` gives JSON-ready rows."""
    submitted = MonthSubmission.of_month(month)
    contacts = BusinessContact.by_department()
    now = clock.now()
    rows = []
    for d in units():
        if department_id is not None and d.id != department_id:
            continue
        sub = submitted.get(d.id)
        contact = contacts.get(d.id)
        key = status(month, sub, now)
        rows.append(
            {
                "id": d.id,
                "code": d.code,
                "name": d.name,
                "kind": d.kind,
                "status": key,
                "status_label": STATUS[key],
                "submitted_at": (clock.iso(sub.submitted_at) if plain else sub.submitted_at) if sub else None,
                "via": SUBMISSION_VIA.get(sub.via, sub.via) if sub else "",
                "by": (sub.submitted_by.display_name or sub.submitted_by.username) if sub and sub.submitted_by else "",
                "comment": sub.comment if sub else "",
                "contact": mask_name(contact.name) if contact else "",
                "contact_phone": mask_phone(contact.phone) if contact else "",
            }
        )
    return rows


def due_for(user) -> str | None:
    """The month the user's unit still has to submit, from the reminder day on (the admin's banner)."""
    if user is None or user.department_id is None or not may_submit(user, user.department_id):
        return None
    month = current_month()
    if clock.now() < remind_from(month):
        return None
    department = Department.get_or_none(Department.id == user.department_id)
    if department is None or department.is_bureau:
        return None
    return None if MonthSubmission.find(user.department_id, month) is not None else month


def set_contact(department, name, phone, user_id, actor) -> BusinessContact:
    """Name the unit's business contact (bureau, or the unit's own dept_admin). An empty name or
    phone keeps the stored one; `user_id` is the contact's admin account of that unit, or None."""
    if actor is None or not actor.active or actor.role not in ("bureau", "dept_admin"):
        error("forbidden", "无权设置业务联系人", 403)
    if actor.role == "dept_admin" and actor.department_id != department.id:
        error("forbidden", "无权设置其他单位的业务联系人", 403)
    name = (name or "").strip()
    if len(name) > 50:
        error("invalid_name", "姓名不能超过 50 字", 422)
    clear_phone = None
    if (phone or "").strip():
        clear_phone = normalize_phone(phone.strip())
        if clear_phone is None:
            error("invalid_phone", "联系电话应为 11 位手机号", 422)
    user = None
    if user_id not in (None, ""):
        user = User.get_or_none((User.id == user_id) & (User.department == department.id) & User.active)
        if user is None or user.role not in DEPARTMENT_ROLES:
            error("invalid_user", "联系人账号须为本单位在用的部门账号", 422)
    contact = BusinessContact.of(department.id) or BusinessContact(department=department)
    if name:
        contact.name = name
    if clear_phone:
        contact.phone = clear_phone
    if contact.name is None or contact.phone is None:
        error("contact_incomplete", "请填写业务联系人的姓名和手机号", 422)
    contact.user = user
    contact.updated_at = clock.now()
    with db.atomic():
        contact.save()
        # Personal data stays out of the audit log: which unit, and which account, only.
        AuditLog.record(
            f"user:{actor.username}",
            "contact.update",
            f"department:{department.code}",
            user=user.username if user else None,
        )
    return contact
