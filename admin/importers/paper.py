"""Paper-form ratings (书面评价表格) of towns not yet connected, one month per file.

Each row is one window's forms of one day at one level: 份数 forms alike (1
for a single form). Every form becomes one rating through the rating core and
the import counts as each town's submission (报送) of the month, in the same
transaction (`ratings.paper.record_forms`, the rule the demo shares). The same
file is refused a second time. A month already closed keeps its report: the
forms appear as 补报 in the next one.
"""

import datetime as dt
import re

from core import clock
from core.numbers import to_int
from figures.ratings import month_range
from models import LEVEL_NAMES
from models import Department
from models import LabelSet
from models import Window
from ratings.paper import record_forms

TITLE = "书面评价表格（未联网镇街月度纸质评价）"
REQUIRED_COLUMNS = ("单位编码", "窗口编码", "评价日期", "评价等级", "份数")
OPTIONAL_COLUMNS = ("评价标签代码", "文字评价")
EXAMPLE = ("GTJD", "GTJD-BM-01", "2026-11-05", "满意", "12", "", "")
ONCE = True
MAX_COUNT = 1000
LEVEL_BY_NAME = {name: level for level, name in LEVEL_NAMES.items()}


def _level(text: str):
    if text in LEVEL_BY_NAME:
        return LEVEL_BY_NAME[text]
    return to_int(text, 1, 5)


def validate(rows, problems, month: str = "", **_options) -> list[dict]:
    try:
        start, end = month_range(month)
    except ValueError:
        problems.add("—", "月份", "请选择评价数据所属月份（YYYY-MM）")
        return []
    label_set = LabelSet.current()
    allowed = label_set.codes_by_level() if label_set else {}
    departments = {d.code: d for d in Department.select()}
    windows = {w.code: w for w in Window.select()}
    plan = []
    for number, row in rows:
        dept, window = departments.get(row["单位编码"]), windows.get(row["窗口编码"])
        if dept is None:
            problems.add(number, "单位编码", f"单位「{row['单位编码']}」不存在")
        if window is None:
            problems.add(number, "窗口编码", f"窗口「{row['窗口编码']}」不存在")
        elif dept is not None and window.department_id != dept.id:
            problems.add(number, "窗口编码", f"窗口「{window.code}」不属于{dept.name}")
        try:
            day = dt.date.fromisoformat(row["评价日期"].replace("/", "-")[:10])
        except ValueError:
            day = None
            problems.add(number, "评价日期", "应为日期，如 2026-11-05")
        if day is not None and not start <= day < end:
            problems.add(number, "评价日期", f"不在所选月份 {month} 内")
        elif day is not None and day > clock.today():
            problems.add(number, "评价日期", "不能晚于今天")
        level = _level(row["评价等级"])
        if level is None:
            problems.add(number, "评价等级", "应为 1–5 或 非常满意/满意/基本满意/不满意/非常不满意")
        count = to_int(row["份数"], 1, MAX_COUNT)
        if count is None:
            problems.add(number, "份数", f"应为 1–{MAX_COUNT} 的整数")
        codes = [c for c in re.split(r"[,，、;；\s]+", row.get("评价标签代码", "")) if c]
        if level is not None and label_set is None and codes:
            problems.add(number, "评价标签代码", "评价标签字典尚未配置")
        elif level is not None:
            unknown = [c for c in codes if c not in allowed.get(level, set())]
            if unknown:
                problems.add(number, "评价标签代码", f"{'、'.join(unknown)} 不属于「{LEVEL_NAMES[level]}」的标签")
        comment = row.get("文字评价", "")
        if len(comment) > 500:
            problems.add(number, "文字评价", "超过 500 字")
        if label_set is None and number == rows[0][0]:
            problems.add("—", "—", "评价标签字典尚未配置，无法导入评价")
        plan.append(
            {
                "row": number,
                "window": window,
                "day": day,
                "level": level,
                "count": count or 0,
                "labels": codes,
                "comment": comment or None,
                "month": month,
            }
        )
    return plan


def write(plan, batch: str, actor: str = "import", **_options) -> dict:
    return record_forms(plan, plan[0]["month"] if plan else "", batch, actor)
