"""The import templates: a workbook staff fill in without guessing.

- the data sheet first (the importer reads the first sheet), named for what it
  holds, its header row frozen, drop-downs (openpyxl `DataValidation`) on every
  column whose values are codes or levels, a whole-number or date check where
  that is what a column takes;
- 填写说明: the rules of the import and every column — required or not, what
  goes in it, an example, where its values come from;
- 代码表: the codes and names the drop-downs offer (departments, halls,
  windows, item types, levels, labels), read from the database when the
  template is downloaded.
"""

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Font
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from figures.xlsx import safe
from models import DEPARTMENT_KINDS
from models import ITEM_CATEGORIES
from models import LEVEL_NAMES
from models import Department
from models import Hall
from models import LabelSet
from models import Window

from . import catalogue
from . import master
from . import paper

DATA_ROWS = 2000  # rows the drop-downs cover below the header
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
CODES = "代码表"
GUIDE = "填写说明"
SHEETS = {"catalogue": "事项清单", "master": "基础数据", "paper": "书面评价"}
RULES = [
    "请在第一个工作表中填写，第 1 行为表头，请勿修改、删除表头或调整工作表顺序；从第 2 行起每行一条。",
    "带下拉箭头的列请从下拉列表中选择，可选的编码及名称见「代码表」工作表。",
    "上传后逐行校验：只要有一行有误，整份文件一行也不导入，并列出全部错误（行号、列、问题）。",
    "也可另存为 CSV（UTF-8 或 GBK 编码）后上传，但 CSV 不保留下拉列表。",
]
# Per kind: column -> (required, what goes in it, the list of 代码表 it draws from, or a check).
COLUMNS = {
    "catalogue": {
        "事项编码": (True, "政务服务事项编码，已有的编码会被更新", None),
        "事项名称": (True, "事项的规范名称，不超过 200 字", None),
        "事项类型": (True, "从下拉列表中选择", "事项类型"),
        "实施部门编码": (True, "实施该事项的部门编码", "部门编码"),
        "是否启用": (False, "填「是」或「否」，留空为「是」", "是否"),
    },
    "master": {
        "数据类型": (True, "部门、大厅、窗口或工作人员", "数据类型"),
        "编码": (True, "该部门、大厅、窗口或工作人员的编码（不超过 32 个字符），已有的会被更新", None),
        "名称": (True, "名称或姓名", None),
        "所属部门编码": (False, "大厅、窗口、工作人员必填：所属部门的编码", "部门编码"),
        "所属大厅编码": (False, "窗口必填：所在大厅的编码（可为本文件中新增的大厅）", "大厅编码"),
        "所属窗口编码": (False, "工作人员选填：所在窗口的编码", "窗口编码"),
        "部门类型": (False, "部门必填：区级部门、镇街或景区管理局", "部门类型"),
        "地址": (False, "大厅选填：地址", None),
    },
    "paper": {
        "单位编码": (True, "填报单位（镇街）的部门编码", "部门编码"),
        "窗口编码": (True, "评价对象窗口的编码，须属于该单位", "窗口编码"),
        "评价日期": (True, "纸质表格上的评价日期，须在上传时所选的月份内，如 2026-11-05", "date"),
        "评价等级": (True, "非常满意、满意、基本满意、不满意、非常不满意（也可填 5–1）", "评价等级"),
        "份数": (True, "同一天、同一窗口、同一等级的表格份数，1–1000 的整数", "count"),
        "评价标签代码": (False, "可填多个，用逗号分隔；须属于所填评价等级，见「代码表」", None),
        "文字评价": (False, "表格上的文字意见，不超过 500 字", None),
    },
}
MODULES = {"catalogue": catalogue, "master": master, "paper": paper}


def workbook(kind: str) -> Workbook:
    module = MODULES[kind]
    header = list(module.REQUIRED_COLUMNS) + list(module.OPTIONAL_COLUMNS)
    wb = Workbook()
    data = wb.active
    data.title = SHEETS[kind]
    lists = _code_lists()
    ranges = _write_codes(wb.create_sheet(CODES), lists)
    _write_data(data, header, COLUMNS[kind], ranges)
    _write_guide(wb.create_sheet(GUIDE, 1), module, header, COLUMNS[kind])
    wb.active = 0
    return wb


def _code_lists() -> dict[str, list[tuple[str, str]]]:
    """(value, what it means) per list; the value is what the import takes."""
    departments = [(d.code, d.name) for d in Department.select().where(Department.active).order_by(Department.code)]
    halls = [(h.code, h.name) for h in Hall.select().where(Hall.active).order_by(Hall.code)]
    windows = [(w.code, w.name) for w in Window.select().where(Window.active).order_by(Window.code)]
    label_set = LabelSet.current()
    labels = []
    if label_set is not None:
        grouped = label_set.labels_by_level()
        labels = [
            (lb.code, f"{LEVEL_NAMES[lv]}：{lb.text}") for lv in sorted(grouped, reverse=True) for lb in grouped[lv]
        ]
    return {
        "部门编码": departments,
        "大厅编码": halls,
        "窗口编码": windows,
        "事项类型": [(c, "") for c in ITEM_CATEGORIES],
        "评价等级": [(LEVEL_NAMES[lv], str(lv)) for lv in sorted(LEVEL_NAMES, reverse=True)],
        "数据类型": [(name, "") for name in master.TYPES],
        "部门类型": [(name, "") for name in DEPARTMENT_KINDS.values()],
        "是否": [("是", ""), ("否", "")],
        "评价标签代码": labels,
    }


def _write_codes(ws, lists) -> dict[str, str]:
    """Two columns per list (value, meaning); returns each list's range for a drop-down."""
    ranges = {}
    for index, (name, rows) in enumerate(lists.items()):
        col = get_column_letter(index * 2 + 1)
        ws.cell(row=1, column=index * 2 + 1, value=name).font = Font(bold=True)
        ws.cell(row=1, column=index * 2 + 2, value="说明").font = Font(bold=True)
        for number, (value, meaning) in enumerate(rows, 2):
            ws.cell(row=number, column=index * 2 + 1, value=safe(value))
            ws.cell(row=number, column=index * 2 + 2, value=safe(meaning))
        ws.column_dimensions[col].width = 18
        ws.column_dimensions[get_column_letter(index * 2 + 2)].width = 24
        if rows:
            ranges[name] = f"'{CODES}'!${col}$2:${col}${len(rows) + 1}"
    ws.freeze_panes = "A2"
    return ranges


def _write_data(ws, header, columns, ranges) -> None:
    ws.append(header)
    for index, name in enumerate(header, 1):
        cell = ws.cell(row=1, column=index)
        cell.font = Font(bold=True, color="A1262B" if columns[name][0] else "000000")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(index)].width = max(len(name) * 2 + 4, 14)
        rule = _validation(name, columns[name], ranges)
        if rule is not None:
            ws.add_data_validation(rule)
            col = get_column_letter(index)
            rule.add(f"{col}2:{col}{DATA_ROWS + 1}")
    ws.freeze_panes = "A2"


def _validation(name, column, ranges) -> DataValidation | None:
    required, text, source = column
    if source == "date":
        rule = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)")
        rule.error = "请填写日期，如 2026-11-05"
    elif source == "count":
        rule = DataValidation(type="whole", operator="between", formula1="1", formula2=str(paper.MAX_COUNT))
        rule.error = f"份数应为 1–{paper.MAX_COUNT} 的整数"
    elif source in ranges:
        rule = DataValidation(type="list", formula1=ranges[source])
        rule.error = f"请从下拉列表中选择（可选值见「{CODES}」工作表）"
    else:
        return None
    rule.allow_blank = not required
    rule.showErrorMessage = True
    rule.errorTitle = f"{name}填写有误"
    rule.showInputMessage = True
    rule.promptTitle = name
    rule.prompt = text[:250]
    return rule


def _write_guide(ws, module, header, columns) -> None:
    ws.append([f"{module.TITLE} · 导入模板填写说明"])
    ws["A1"].font = Font(bold=True, size=13)
    for number, rule in enumerate(RULES, 1):
        ws.append([f"{number}. {rule}"])
    ws.append([])
    ws.append(["列名", "是否必填", "填写要求", "示例", "可选值"])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    example = dict(zip(header, module.EXAMPLE, strict=False))
    for name in header:
        required, text, source = columns[name]
        choices = f"下拉选择，见「{CODES}」的「{source}」列" if source not in (None, "date", "count") else ""
        if name == "评价标签代码":
            choices = f"见「{CODES}」的「评价标签代码」列"
        ws.append([name, "必填" if required else "选填", safe(text), safe(example.get(name, "")), choices])
    for col, width in zip("ABCDE", (16, 10, 60, 20, 36), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=ws.max_row - len(header) + 1):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
