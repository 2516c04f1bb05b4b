"""The audit log in words staff read: each action by its Chinese name, the object
it concerned ("工单 CP…", "用户 gaj_admin", "导入文件「事项清单.xlsx」"), and the
details as label/value pairs. Codes this table does not know yet are shown by
their area's name and the code, never dropped."""

import json

from models import LEVEL_NAMES
from models import ROLES
from models import TICKET_STATES
from models.fraud import FLAG_RULES
from models.staff_identity import IDENTITY_KINDS
from rectification import workflow

from .master import KINDS as MASTER_KINDS

ACTIONS = {
    "login": "登录",
    "login.failed": "登录失败",
    "login.locked": "账号被锁定",
    "login.refused": "拒绝登录（账号锁定中）",
    "logout": "退出登录",
    "user.create": "新建用户",
    "user.reset_password": "重置密码",
    "user.unlock": "解锁账号",
    "user.activate": "启用用户",
    "user.deactivate": "停用用户",
    "user.change_password": "修改本人密码",
    "user.demo_password": "生成演示账号密码",
    "api_key.create": "新建接口密钥",
    "api_key.revoke": "停用接口密钥",
    "labels.new_version": "启用评价标签新版本",
    "poster.download": "下载评价二维码海报",
    "personal_data.reveal": "查看完整个人信息",
    "personal_data.purge": "清理过期个人信息",
    "personal_data.rotate": "轮换个人信息密钥",
    "personal_data.rehash": "重算个人信息查找值",
    "report.export": "导出月度报表",
    "import.catalogue": "导入事项清单",
    "import.master": "导入基础数据",
    "import.paper": "导入书面评价表格",
    "upstream.retry": "重新推送被退回的评价",
    "rating.flag": "标记疑似刷评",
    "rating.flag_genuine": "刷评审核：确认有效",
    "rating.flag_rejected": "刷评审核：确认刷评",
    "staff_identity.create": "登记工作人员标识",
    "staff_identity.delete": "删除工作人员标识",
    "ticket.set_contact": "设置默认承办人",
}
AREAS = {
    "login": "登录",
    "user": "用户",
    "api_key": "接口密钥",
    "labels": "评价标签",
    "poster": "二维码海报",
    "personal_data": "个人信息",
    "report": "月度报表",
    "import": "数据导入",
    "upstream": "市级推送",
    "rating": "评价",
    "staff_identity": "工作人员标识",
    "ticket": "差评工单",
    **{kind: spec.title for kind, spec in MASTER_KINDS.items()},
}
# What a filter may ask for: an area (every action starting so) or one action.
FILTERS = [
    ("ticket.", "差评工单处理"),
    ("login", "登录与登录失败"),
    ("logout", "退出登录"),
    ("user.", "用户管理"),
    ("api_key.", "接口密钥"),
    ("personal_data.", "个人信息"),
    ("import.", "数据导入"),
    ("report.", "报表导出"),
    ("rating.flag", "刷评标记与审核"),
    ("staff_identity.", "工作人员标识"),
    ("labels.", "评价标签"),
    ("poster.", "二维码海报"),
    ("upstream.", "市级推送"),
    *[(f"{kind}.", f"基础数据：{spec.title}") for kind, spec in MASTER_KINDS.items()],
]
TARGETS = {
    "ticket": "工单",
    "user": "用户",
    "api_key": "接口密钥",
    "report": "月度报表",
    "label_set": "评价标签版本",
    "rating": "评价",
    "ratings": "被退回的评价（条）",
    "staff": "工作人员",
    "key": "个人信息密钥",
    "import": "导入文件",
    **{kind: spec.title for kind, spec in MASTER_KINDS.items()},
}
DETAIL_LABELS = {
    "from_state": "原状态",
    "to_state": "新状态",
    "reason": "原因",
    "role": "角色",
    "dept": "部门编码",
    "label": "备注",
    "file": "文件名",
    "created": "新增",
    "updated": "更新",
    "ratings": "评价",
    "bad": "其中差评",
    "rules": "疑点",
    "note": "意见",
    "kind": "类型",
    "shown": "标识",
    "labels": "标签数",
    "retention_days": "保留天数",
    "rating_ids": "评价编号",
    "level": "评价等级",
}
REASONS = {"unknown_user": "用户名不存在", "password": "密码错误", "locked": "账号锁定中"}


def action_name(code: str) -> str:
    if code in ACTIONS:
        return ACTIONS[code]
    area, _, step = code.partition(".")
    if area == "ticket":
        return f"工单：{workflow.event_label(step)}"
    if area in MASTER_KINDS and step in ("create", "update"):
        return f"{'新增' if step == 'create' else '修改'}{MASTER_KINDS[area].title}"
    return f"{AREAS.get(area, area)}（{code}）"


def target_text(target: str, detail: dict) -> str:
    if not target:
        return "—"
    kind, _, value = target.partition(":")
    if kind == "import":
        # The file's SHA-256 is the key that refuses a second import; its name is what people know.
        return f"导入文件「{detail['file']}」" if detail.get("file") else f"导入文件（校验码 {value[:12]}…）"
    if kind in TARGETS:
        return f"{TARGETS[kind]} {value}"
    return target


def details(action: str, raw: str) -> list[tuple[str, str]]:
    """The detail JSON as (label, value) pairs, in Chinese where the value is a code."""
    data = parse(raw)
    fields = {}
    area = action.partition(".")[0]
    if area in MASTER_KINDS:
        fields = {f.name: f.label for f in MASTER_KINDS[area].fields}
    pairs = []
    for key, value in data.items():
        if key == "file" and action.startswith("import."):
            continue  # already the object
        if key in fields:  # a master-data field: its value as entered
            pairs.append((fields[key], _value("", value)))
        else:
            pairs.append((DETAIL_LABELS.get(key, key), _value(key, value)))
    return pairs


def parse(raw: str) -> dict:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {"detail": raw}
    return data if isinstance(data, dict) else {"detail": data}


def _value(key: str, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_value(key, v) for v in value) or "—"
    if key in ("from_state", "to_state"):
        return TICKET_STATES.get(value, value)
    if key == "role":
        return ROLES.get(value, value)
    if key == "rules":
        return FLAG_RULES.get(value, value)
    if key == "kind":
        return IDENTITY_KINDS.get(value, value)
    if key == "reason":
        return REASONS.get(value, value)
    if key == "level":
        return LEVEL_NAMES.get(value, str(value))
    return str(value)
