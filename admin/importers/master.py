"""Master data: departments, halls, windows and staff in one sheet, matched by 编码.

Rows are written in the order 部门, 大厅, 窗口, 工作人员 whatever their order in
the file, so a hall may name a department defined further down.
"""

from models import DEPARTMENT_KINDS
from models import Department
from models import Hall
from models import Staff
from models import Window

TITLE = "基础数据（部门、大厅、窗口、工作人员）"
REQUIRED_COLUMNS = ("数据类型", "编码", "名称")
OPTIONAL_COLUMNS = ("所属部门编码", "所属大厅编码", "所属窗口编码", "部门类型", "地址")
EXAMPLE = ("窗口", "GTJD-BM-01", "综合受理窗口", "GTJD", "GTJD-BM", "", "", "")
TYPES = {"部门": Department, "大厅": Hall, "窗口": Window, "工作人员": Staff}
KIND_BY_NAME = {name: code for code, name in DEPARTMENT_KINDS.items()}
LIMITS = {Department: 32, Hall: 32, Window: 32, Staff: 32}


def validate(rows, problems, **_options) -> list[tuple]:
    known = {model: {row.code: row for row in model.select()} for model in TYPES.values()}
    # Codes this file defines, so later rows may refer to them.
    defined = {model: {} for model in TYPES.values()}
    plan = []
    for number, row in rows:
        model = TYPES.get(row["数据类型"])
        code, name = row["编码"], row["名称"]
        if model is None:
            problems.add(number, "数据类型", f"应为：{'、'.join(TYPES)}")
            continue
        if not code or len(code) > LIMITS[model]:
            problems.add(number, "编码", f"不能为空，且不超过 {LIMITS[model]} 个字符")
        elif code in defined[model]:
            problems.add(number, "编码", f"与第 {defined[model][code]} 行重复")
        else:
            defined[model][code] = number
        if not name or len(name) > (50 if model is Staff else 100):
            problems.add(number, "名称", "不能为空，且不超过 100 个字符（姓名 50）")
        plan.append((number, model, row))
    for number, model, row in plan:
        if model is Department:
            kind = KIND_BY_NAME.get(row.get("部门类型", ""), row.get("部门类型", ""))
            if kind not in DEPARTMENT_KINDS:
                problems.add(number, "部门类型", f"应为：{'、'.join(DEPARTMENT_KINDS.values())}")
            continue
        for column, target, required in _references(model):
            value = row.get(column, "")
            if not value:
                if required:
                    problems.add(number, column, "不能为空")
                continue
            if value not in known[target] and value not in defined[target]:
                problems.add(number, column, f"「{value}」不存在（库中和本文件中都没有）")
    return plan


def _references(model):
    if model is Hall:
        return [("所属部门编码", Department, True)]
    if model is Window:
        return [("所属部门编码", Department, True), ("所属大厅编码", Hall, True)]
    return [("所属部门编码", Department, True), ("所属窗口编码", Window, False)]


def write(plan, batch: str, **_options) -> dict:
    counts = {"created": 0, "updated": 0}
    for model in TYPES.values():
        for _, row_model, row in plan:
            if row_model is model:
                counts["created" if _upsert(model, row) else "updated"] += 1
    return counts


def _upsert(model, row) -> bool:
    values = {"name": row["名称"]}
    if model is Department:
        kind = row.get("部门类型", "")
        values["kind"] = KIND_BY_NAME.get(kind, kind)
    else:
        values["department"] = Department.by_code(row["所属部门编码"])
    if model is Hall:
        values["address"] = row.get("地址", "")
    if model is Window:
        values["hall"] = Hall.by_code(row["所属大厅编码"])
    if model is Staff:
        values["window"] = Window.by_code(row["所属窗口编码"]) if row.get("所属窗口编码") else None
    existing = model.by_code(row["编码"])
    if existing is None:
        model.create(code=row["编码"], **values)
        return True
    for key, value in values.items():
        setattr(existing, key, value)
    existing.save()
    return False
