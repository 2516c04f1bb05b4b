"""Who did it, in words staff read: the actor references of the ticket history and
the audit log ("user:<name>", "system", "sms", "cli", "apikey:<prefix>" …) as a
name with its role, every user of a page looked up in one query."""

from peewee import JOIN

from models import ROLES
from models import Department
from models import User

OTHERS = {
    "system": "系统（自动处理）",
    "sms": "群众（短信回复）",
    "cli": "运维命令行",
    "anonymous": "未登录用户",
}
PREFIXES = {"apikey": "业务系统密钥", "api_key": "业务系统密钥", "wx": "小程序用户"}


def describe_user(user: User) -> str:
    """ "张三（部门管理员，区公安分局）", or for the bureau and auditors the role alone."""
    name = user.display_name or user.username
    role = ROLES.get(user.role, user.role)
    if user.department_id is not None and user.role in ("dept_admin", "dept_staff"):
        return f"{name}（{role}，{user.department.name}）"
    return f"{name}（{role}）"


def actor_names(refs) -> dict[str, str]:
    """{reference: readable name} for every reference in `refs`."""
    refs = set(filter(None, refs))
    usernames = {ref.partition(":")[2] for ref in refs if ref.startswith("user:")}
    users = {}
    if usernames:
        query = User.select(User, Department).join(Department, JOIN.LEFT_OUTER)
        users = {u.username: u for u in query.where(User.username.in_(sorted(usernames)))}
    return {ref: _name(ref, users) for ref in refs}


def _name(ref: str, users: dict) -> str:
    kind, _, value = ref.partition(":")
    if kind == "user":
        user = users.get(value)
        return describe_user(user) if user is not None else f"{value}（已删除的用户）"
    if ref in OTHERS:
        return OTHERS[ref]
    if kind in PREFIXES:
        return f"{PREFIXES[kind]} {value}"
    return ref
