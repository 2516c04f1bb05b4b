"""The monthly report: per unit and district-wide, one xlsx.

District-wide: one sheet, every department (district departments, then towns),
with ratings by level, 好评率, 差评数, 未评率 and the GB/T 39734 rectification
measures, and a district total. Per unit: the same row for the department,
then its ratings by window, staff and item. Figures come from `figures.ratings`
and `figures.rectification`, so the report, the dashboard and the public page agree.
"""

import datetime as dt

from openpyxl import Workbook

from core import clock
from core.config import current_settings
from models import DEPARTMENT_KINDS
from models import LEVEL_NAMES

from . import ratings as figures
from . import rectification
from .ratings import Filters
from .ratings import month_range
from .ratings import rate
from .xlsx import to_bytes
from .xlsx import write_sheet

LEVELS = (5, 4, 3, 2, 1)
RECT_RATES = ("reply_rate", "followup_rate", "followup_satisfaction_rate", "on_time_rate")
HEADER = (
    ["序号", "单位", "类型", "评价数"]
    + [LEVEL_NAMES[lv] for lv in LEVELS]
    + [
        "好评率(%)",
        "差评数",
        "办结件数",
        "未评件数",
        "未评率(%)",
        "差评回复率(%)",
        "回访整改率(%)",
        "回访整改满意率(%)",
        "按期整改率(%)",
        "超期未整改",
    ]
)


def report_rows(month: str, department_id: int | None = None) -> list[dict]:
    """One dict per department (and `total` last when district-wide)."""
    start, end = month_range(month)
    rows = figures.by_department(Filters(start=start, end=end, department_id=department_id))
    basic = _basic()
    measures = rectification.by_department((start, end - dt.timedelta(days=1)), basic)
    for r in rows:
        r["rect"] = measures.get(r["department"].id) or rectification.empty(basic)
    return rows


def _basic() -> bool:

    return current_settings().rectification.basically_satisfied_counts


def _line(number, name, kind, r) -> list:
    m = r["rect"]
    return (
        [number, name, kind, r["rated"]]
        + [r["levels"][lv] for lv in LEVELS]
        + [
            r["good_rate"] if r["good_rate"] is not None else "—",
            r["bad"],
            r["completed"],
            r["unrated"],
            r["unrated_rate"] if r["unrated_rate"] is not None else "—",
            *(
                _or_dash(m[key])
                for key in ("reply_rate", "followup_rate", "followup_satisfaction_rate", "on_time_rate")
            ),
            m["overdue"],
        ]
    )


def total(rows: list[dict]) -> dict:
    levels = {lv: sum(r["levels"][lv] for r in rows) for lv in LEVELS}
    rated = sum(r["rated"] for r in rows)
    good = sum(r["good"] for r in rows)
    completed = sum(r["completed"] for r in rows)
    unrated = sum(r["unrated"] for r in rows)
    rect = rectification.combine([r["rect"] for r in rows], _basic())
    return {
        "levels": levels,
        "rated": rated,
        "good": good,
        "good_rate": rate(good, rated),
        "bad": levels[1] + levels[2],
        "completed": completed,
        "unrated": unrated,
        "unrated_rate": rate(unrated, completed),
        "rect": rect,
    }


def _or_dash(value):
    return "—" if value is None else value


def _note() -> str:
    basic = "（含基本满意）" if figures.good_levels() == (5, 4, 3) else "（不含基本满意）"
    return (
        f"好评率 = 非常满意与满意{basic} ÷ 评价数；仅计有效首次评价；未评率 = 办结未评件数 ÷ 办结件数；"
        "差评回复率、回访整改率、回访整改满意率、按期整改率按 GB/T 39734 计算；"
        f"超期未整改按 {clock.now():%Y-%m-%d %H:%M} 统计"
    )


def build(month: str, department=None) -> bytes:
    """The xlsx for `month` ('YYYY-MM'), district-wide or for one department."""
    start, end = month_range(month)
    wb = Workbook()
    ws = wb.active
    if department is None:
        rows = report_rows(month)
        ws.title = "全区汇总"
        lines = [
            _line(i, r["department"].name, DEPARTMENT_KINDS.get(r["department"].kind, ""), r)
            for i, r in enumerate(rows, 1)
        ]
        lines.append(_line("", "全区合计", "", total(rows)))
        write_sheet(ws, f"鄠邑区政务服务“好差评”月度统计表（{start:%Y年%m月}）", HEADER, lines, _note())
    else:
        rows = report_rows(month, department.id)
        ws.title = "单位汇总"
        lines = [_line(1, department.name, DEPARTMENT_KINDS.get(department.kind, ""), r) for r in rows]
        write_sheet(ws, f"{department.name}政务服务“好差评”月度统计表（{start:%Y年%m月}）", HEADER, lines, _note())
        f = Filters(start=start, end=end, department_id=department.id)
        for unit, title in (("window", "按窗口"), ("staff", "按工作人员"), ("item", "按事项")):
            _breakdown(wb.create_sheet(title), f, unit, department.name, start)
    return to_bytes(wb)


def _breakdown(ws, f: Filters, unit: str, name: str, start: dt.date) -> None:
    label = figures.UNITS[unit][0]
    table = figures.level_table(f, unit)
    header = ["序号", label, "评价数"] + [LEVEL_NAMES[lv] for lv in LEVELS] + ["好评率(%)", "差评数"]
    lines = [
        [i, r["name"], r["rated"]]
        + [r["levels"][lv] for lv in LEVELS]
        + [r["good_rate"] if r["good_rate"] is not None else "—", r["bad"]]
        for i, r in enumerate(table, 1)
    ]
    write_sheet(ws, f"{name} · {label}评价情况（{start:%Y年%m月}）", header, lines)


def filename(month: str, department=None) -> str:
    return f"好差评月报-{month}{'-' + department.code if department else ''}.xlsx"
