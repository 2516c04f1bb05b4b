"""The item catalogue (政务服务事项清单): one row per item, matched by 事项编码."""

from models import ITEM_CATEGORIES
from models import Department
from models import Item

TITLE = "事项清单"
REQUIRED_COLUMNS = ("事项编码", "事项名称", "事项类型", "实施部门编码")
OPTIONAL_COLUMNS = ("是否启用",)
EXAMPLE = ("610118-GAJ-001", "居民身份证换领", "公共服务", "GAJ", "是")
YES, NO = ("是", "1", "启用", "Y", "y"), ("否", "0", "停用", "N", "n")


def validate(rows, problems, **_options) -> list[dict]:
    departments = {d.code: d for d in Department.select()}
    seen = {}
    plan = []
    for number, row in rows:
        code, name = row["事项编码"], row["事项名称"]
        category, dept = row["事项类型"], row["实施部门编码"]
        active = row.get("是否启用", "") or "是"
        if not code:
            problems.add(number, "事项编码", "不能为空")
        elif len(code) > 64:
            problems.add(number, "事项编码", "超过 64 个字符")
        elif code in seen:
            problems.add(number, "事项编码", f"与第 {seen[code]} 行重复")
        else:
            seen[code] = number
        if not name:
            problems.add(number, "事项名称", "不能为空")
        elif len(name) > 200:
            problems.add(number, "事项名称", "超过 200 个字符")
        if category not in ITEM_CATEGORIES:
            problems.add(number, "事项类型", f"「{category}」不是有效类型，应为：{'、'.join(ITEM_CATEGORIES)}")
        if dept not in departments:
            problems.add(number, "实施部门编码", f"部门「{dept}」不存在")
        if active not in YES + NO:
            problems.add(number, "是否启用", "应填「是」或「否」")
        plan.append(
            {
                "code": code,
                "name": name,
                "category": category,
                "department": departments.get(dept),
                "active": active in YES,
            }
        )
    return plan


def write(plan, batch: str, **_options) -> dict:
    created = updated = 0
    for entry in plan:
        item = Item.by_code(entry["code"])
        if item is None:
            Item.create(source="catalogue", **entry)
            created += 1
        else:
            for key, value in entry.items():
                setattr(item, key, value)
            item.source = "catalogue"
            item.save()
            updated += 1
    return {"created": created, "updated": updated}
