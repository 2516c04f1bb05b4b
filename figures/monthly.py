"""The monthly report as one xlsx, district-wide or for one unit, from the month's report
(`figures.snapshot.MonthData`): frozen for a closed month, live for an open one.

District-wide sheets: 全区汇总 (every unit and the district total, with each
figure's formula below the table), 差评工单, 问题标签, 评论高频词, 表扬与关注, 补报 and
报送情况. A unit's report: its row, its windows, staff and items, and its share of
the same lists. The report says whether the month is closed (and when, which version)
or live.
"""

from core import clock
from models import DEPARTMENT_KINDS
from models import LEVEL_NAMES

from .definitions import LEVELS
from .ratings import Filters
from .ratings import level_table
from .snapshot import MonthData
from .xlsx import new_workbook
from .xlsx import to_bytes
from .xlsx import write_sheet

RECT_RATES = ("reply_rate", "followup_rate", "followup_satisfaction_rate", "on_time_rate")
HEADER = (
    ["序号", "单位", "类型", "评价数（首次评价）"]
    + [LEVEL_NAMES[lv] for lv in LEVELS]
    + [
        "好评率(%)",
        "差评率(%)",
        "主动评价好评率(%)",
        "差评数（首次评价）",
        "办结件数",
        "未评件数",
        "未评率(%)",
        "差评工单数（首次评价与追评）",
        "差评回复率(%)",
        "回访整改率(%)",
        "回访整改满意率(%)",
        "按期整改率(%)",
        "超期未整改",
    ]
)
FORMULAS = (
    "rated",
    "good_rate",
    "bad_rate",
    "active_good_rate",
    "bad",
    "unrated_rate",
    "addenda",
    "tickets",
    "reply_rate",
    "followup_rate",
    "followup_satisfied_rate",
    "on_time_rate",
    "overdue",
)


def _or_dash(value):
    return "—" if value is None else value


def line(number, row: dict) -> list:
    """One unit (or the total) as a row of the summary sheet."""
    m = row["rect"]
    return (
        [number, row["name"], DEPARTMENT_KINDS.get(row["kind"], ""), row["rated"]]
        + [row["levels"][str(lv)] for lv in LEVELS]
        + [
            _or_dash(row["good_rate"]),
            _or_dash(row["bad_rate"]),
            _or_dash(row["active_good_rate"]),
            row["bad"],
            row["completed"],
            row["unrated"],
            _or_dash(row["unrated_rate"]),
            m["bad"],
            *(_or_dash(m[key]) for key in RECT_RATES),
            m["overdue"],
        ]
    )


def status_note(data: MonthData) -> str:
    if data.closed:
        return (
            f"本月已于 {data.closed_at:%Y-%m-%d %H:%M} 关闭（第 {data.version} 版），本表为关闭时冻结的数据；"
            "此后补报的数据列入下月报表的“补报”。"
        )
    return f"本月尚未关闭，数据截至 {clock.now():%Y-%m-%d %H:%M}（实时统计）。"


def _formula_rows(data: MonthData) -> list[list]:
    definitions = data["definitions"]
    return [[], ["指标说明"]] + [[f"{definitions[k]['name']} = {definitions[k]['formula']}"] for k in FORMULAS]


def build(month: str, department=None) -> bytes:
    """The xlsx for `month` ('YYYY-MM'), district-wide or for one department."""
    data = MonthData(month)
    title_month = f"{month[:4]}年{month[5:]}月"
    wb = new_workbook()
    ws = wb.active
    dept_id = department.id if department is not None else None
    units = [r for r in data["units"] if dept_id is None or r["id"] == dept_id]
    if department is None:
        ws.title = "全区汇总"
        lines = [line(i, r) for i, r in enumerate(units, 1)] + [line("", {**data["district"], "name": "全区合计"})]
        title = f"鄠邑区政务服务“好差评”月度统计表（{title_month}）"
    else:
        ws.title = "单位汇总"
        lines = [line(1, r) for r in units]
        title = f"{department.name}政务服务“好差评”月度统计表（{title_month}）"
    write_sheet(ws, title, HEADER, lines + _formula_rows(data), status_note(data))
    if department is not None:
        _breakdowns(wb, data, department, title_month)
    name = department.name if department is not None else None
    _tickets(wb.create_sheet("差评工单"), data, dept_id, title_month)
    _labels(wb.create_sheet("问题标签"), data, name, title_month)
    _terms(wb.create_sheet("评论高频词"), data, name, title_month)
    _lists(wb.create_sheet("表扬与关注"), data, name, title_month)
    _amendments(wb.create_sheet("补报"), data, dept_id, title_month)
    if department is None:
        _board(wb.create_sheet("报送情况"), data, title_month)
    return to_bytes(wb)


def _breakdowns(wb, data: MonthData, department, title_month: str) -> None:
    frozen = data["breakdowns"].get(str(department.id), {}) if data.closed else None
    start, end = data.bounds
    for unit, sheet, label in (
        ("window", "按窗口", "窗口"),
        ("staff", "按工作人员", "工作人员"),
        ("item", "按事项", "事项"),
    ):
        if frozen is not None:
            table = frozen.get(unit, [])
        else:
            table = level_table(Filters(start=start, end=end, department_id=department.id), unit)
        header = ["序号", label, "评价数（首次评价）"] + [LEVEL_NAMES[lv] for lv in LEVELS]
        header += ["好评率(%)", "差评率(%)", "差评数（首次评价）"]
        lines = [
            [i, r["name"], r["rated"]]
            + [r["levels"][lv] if lv in r["levels"] else r["levels"][str(lv)] for lv in LEVELS]
            + [_or_dash(r["good_rate"]), _or_dash(r.get("bad_rate")), r["bad"]]
            for i, r in enumerate(table, 1)
        ]
        write_sheet(wb.create_sheet(sheet), f"{department.name} · {label}评价情况（{title_month}）", header, lines)


def _tickets(ws, data: MonthData, dept_id, title_month: str) -> None:
    header = [
        "序号",
        "工单编号",
        "单位",
        "评价时间",
        "评价等级",
        "评价标签",
        "状态",
        "整改期限",
        "答复时间",
        "回访结果",
        "备注",
    ]
    lines = []
    for t in data["tickets"]:
        if dept_id is not None and t["department_id"] != dept_id:
            continue
        notes = [
            n
            for n, on in (("追评", t["addendum"]), ("超期", t["overdue"]), ("申诉核销，不计入统计", t["excluded"]))
            if on
        ]
        lines.append(
            [
                len(lines) + 1,
                t["ticket_no"],
                t["department"],
                (t["rated_at"] or "")[:16].replace("T", " "),
                t["level"],
                t["labels"],
                t["state"],
                (t["due_at"] or "")[:16].replace("T", " "),
                (t["replied_at"] or "")[:16].replace("T", " ") or "未答复",
                t["followup"] or "—",
                "；".join(notes),
            ]
        )
    write_sheet(ws, f"差评工单（{title_month}，首次评价与追评）", header, lines, status_note(data))


def _labels(ws, data: MonthData, unit_name, title_month: str) -> None:
    labels = data["analysis"]["labels"]
    header = ["序号", "单位", "事项", "标签代码", "标签", "本月次数", "上月次数", "变化"]
    rows = [r for r in labels["rows"] if unit_name is None or r["department"] == unit_name]
    lines = [
        [i, r["department"], r["item"], r["code"], r["text"], r["count"], r["previous"], r["change"]]
        for i, r in enumerate(rows, 1)
    ]
    note = data["definitions"]["labels"]["formula"]
    write_sheet(ws, f"问题标签（{title_month}，基本满意及以下）", header, lines, note)


def _terms(ws, data: MonthData, unit_name, title_month: str) -> None:
    terms = data["analysis"]["terms"]
    found = terms["terms"] if unit_name is None else terms["by_unit"].get(unit_name, [])
    header = ["序号", "高频词", "评论条数", "评论示例（已隐去个人信息）"]
    lines = [[i, t["term"], t["count"], " / ".join(t["examples"])] for i, t in enumerate(found, 1)]
    note = data["definitions"]["terms"]["formula"]
    write_sheet(ws, f"评论高频词（{title_month}）", header, lines, note)


def _lists(ws, data: MonthData, unit_name, title_month: str) -> None:
    commend, attention = data["lists"]["commend"], data["lists"]["attention"]
    header = ["类别", "对象", "所属单位", "评价数 / 差评数", "好评率(%) / 说明"]
    lines = []
    for u in commend["units"]:
        if unit_name is None or u["name"] == unit_name:
            lines.append(["表扬 · 单位", u["name"], "", u["rated"], u["good_rate"]])
    for s in commend["staff"]:
        if unit_name is None or s["department"] == unit_name:
            lines.append(["表扬 · 工作人员", s["name"], s["department"], s["rated"], s["good_rate"]])
    for u in attention["units"]:
        if unit_name is None or u["name"] == unit_name:
            lines.append(
                ["关注 · 单位", u["name"], "", "", f"超期未整改 {u['overdue']} 件，逾期未答复 {u['unreplied']} 件"]
            )
    for s in attention["staff"]:
        if unit_name is None or s["department"] == unit_name:
            lines.append(["关注 · 工作人员", s["name"], s["department"], s["bad"], f"近期多次差评，最近 {s['last']}"])
    write_sheet(ws, f"表扬与关注（{title_month}）", header, lines, status_note(data))


def _amendments(ws, data: MonthData, dept_id, title_month: str) -> None:
    header = [
        "所属月份",
        "单位",
        "评价数变化",
        *(f"{LEVEL_NAMES[lv]}变化" for lv in LEVELS),
        "差评数变化",
        "办结件数变化",
    ]
    lines = []
    for amendment in data["amendments"]:
        for unit in amendment["units"]:
            if dept_id is not None and unit["id"] != dept_id:
                continue
            d = unit["delta"]
            lines.append(
                [
                    amendment["month"],
                    unit["name"],
                    d["rated"],
                    *(d[f"l{lv}"] for lv in LEVELS),
                    d["bad"],
                    d["completed"],
                ]
            )
    note = "已关闭月份在关闭后补报（或经审核剔除）的数据，不改动原月报表，在此列示。"
    write_sheet(ws, f"补报（列入{title_month}报表）", header, lines or [["无"]], note)


def _board(ws, data: MonthData, title_month: str) -> None:
    header = ["序号", "单位", "报送状态", "报送时间", "方式", "报送人", "说明", "业务联系人", "联系电话"]
    lines = [
        [
            i,
            b["name"],
            b["status_label"],
            (b["submitted_at"] or "")[:16].replace("T", " "),
            b["via"],
            b["by"],
            b["comment"],
            b["contact"],
            b["contact_phone"],
        ]
        for i, b in enumerate(data["board"], 1)
    ]
    write_sheet(ws, f"各单位报送情况（{title_month}）", header, lines, status_note(data))


def filename(month: str, department=None) -> str:
    return f"好差评月报-{month}{'-' + department.code if department else ''}.xlsx"
