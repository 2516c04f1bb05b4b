"""Scheduler jobs of the monthly cycle (listed in `jobs/table.py`), safe to run twice.

- `remind_submissions`: from `month.remind_day` until the month's close, every unit
  that has not submitted is reminded — an admin notification to the unit, and an SMS
  to its business contact's phone (an outbox row) when `month.remind_sms` — twice at
  most: on the first run of the reminder period and on the close day;
- `close_due_months`: once a month's close moment (`figures.period.close_at`) has
  passed, the month is closed (frozen); the month before is caught up too, should
  the scheduler have been down at its close.
"""

from core import clock
from core.config import current_settings
from models import BusinessContact
from models import MonthReport
from models import MonthSubmission
from models import Notification
from models import Outbox
from models import db

from . import snapshot
from .period import close_at
from .period import current_month
from .period import previous
from .period import remind_from
from .submissions import units


def reminder_text(month: str) -> str:
    deadline = close_at(month)
    return (
        f"本月好差评数据待报送：请于 {deadline.month}月{deadline.day}日{deadline:%H:%M}前登录好差评管理后台，"
        "核对本单位评价数据、差评工单和未评办件，并确认报送。"
    )


def remind_submissions() -> int:
    """Returns the number of units reminded by this run (a repeat run reminds nobody again)."""
    month = current_month()
    now = clock.now()
    deadline = close_at(month)
    if not remind_from(month) <= now <= deadline:
        return 0
    stage = "last" if now.date() == deadline.date() else "first"
    text = reminder_text(month)
    sms = current_settings().month.remind_sms
    count = 0
    with db.connection_context():
        if MonthReport.latest(month) is not None:
            return 0
        submitted = MonthSubmission.of_month(month)
        contacts = BusinessContact.by_department()
        for department in units():
            if department.id in submitted:
                continue
            key = f"month-remind:{month}:{department.id}:{stage}"
            if Notification.select().where(Notification.dedupe_key == key).exists():
                continue
            contact = contacts.get(department.id)
            with db.atomic():
                Notification.put(key, "month.reminder", text, department=department.id, ref=f"month:{month}")
                if sms and contact is not None and contact.phone:
                    payload = {"phone": contact.phone, "text": text, "purpose": "month_reminder"}
                    Outbox.put("sms.message", key, {**payload, "ref": f"department:{department.id}"})
            count += 1
    return count


def close_due_months() -> list[str]:
    """Returns the months this run closed."""
    now = clock.now()
    month = current_month()
    closed = []
    with db.connection_context():
        for candidate in (previous(month), month):
            if now < close_at(candidate) or MonthReport.latest(candidate) is not None:
                continue
            if close_month(candidate)[1]:
                closed.append(candidate)
    return closed


def close_month(month: str, by: str = "scheduler"):
    """Close `month` and tell the bureau; (its latest report, whether this call closed it)."""
    report, made = snapshot.close(month, by)
    if made:
        Notification.put(
            f"month-closed:{month}:{report.version}",
            "month.closed",
            f"{month[:4]}年{month[5:]}月好差评数据已关闭并冻结（第 {report.version} 版），"
            "月度报表、考核得分与公开数据以此为准。",
            ref=f"month:{month}",
        )
    return report, made
