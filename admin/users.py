"""Users, API keys and the label dictionary."""

import re
import secrets

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from core import cache
from core.passwords import password_problem
from models import LEVEL_NAMES
from models import ROLES
from models import ApiKey
from models import Department
from models import Label
from models import LabelSet
from models import User
from models import db
from models.access import DEPARTMENT_ROLES

from . import bp
from . import security

_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def _assignable_roles() -> list[str]:
    return list(ROLES) if g.user.role == "bureau" else list(DEPARTMENT_ROLES)


@bp.route("/users")
@security.roles("bureau", "dept_admin", "auditor")
def users():
    query = g.scope.restrict(User.select().order_by(User.username), User.department)
    keys = g.scope.restrict(ApiKey.select().order_by(ApiKey.id.desc()), ApiKey.department)
    departments = Department.directory() if g.scope.all else [g.user.department]
    return render_template(
        "admin/users.html",
        users=list(query),
        keys=list(keys),
        departments=departments,
        roles=_assignable_roles(),
        shown_key=None,
    )


@bp.route("/users/new", methods=["POST"])
@security.roles("bureau", "dept_admin")
def user_new():
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "")
    dept_id = request.form.get("department", "")
    department = Department.get_or_none(Department.id == int(dept_id)) if dept_id.isdigit() else None
    if not g.scope.all:
        department = g.user.department
    problem = None
    if not _USERNAME.match(username):
        problem = "用户名须为 3–64 位字母、数字或 _ . -"
    elif role not in _assignable_roles():
        problem = "不能分配该角色"
    elif role in DEPARTMENT_ROLES and department is None:
        problem = "部门角色须选择所属部门"
    elif User.by_username(username) is not None:
        problem = "用户名已存在"
    if problem:
        flash(problem, "error")
        return redirect(url_for("admin.users"))
    password = secrets.token_urlsafe(12)
    with db.atomic():
        user = User(
            username=username,
            role=role,
            department=department if role in DEPARTMENT_ROLES else None,
            display_name=request.form.get("display_name", "").strip()[:50],
        )
        user.set_password(password)
        user.save()
        security.audit("user.create", f"user:{username}", role=role, dept=department.code if department else None)
    flash(f"已创建用户 {username}，初始密码（仅显示一次）：{password}", "")
    return redirect(url_for("admin.users"))


def _user_in_scope(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    if not g.scope.all and (user.department_id != g.scope.department_id or user.role not in DEPARTMENT_ROLES):
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["POST"])
@security.roles("bureau", "dept_admin")
def user_update(user_id: int):
    user = _user_in_scope(user_id)
    op = request.form.get("op", "")
    if user.id == g.user.id and op in ("deactivate",):
        flash("不能停用自己的账号", "error")
        return redirect(url_for("admin.users"))
    with db.atomic():
        if op == "reset_password":
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.failed_logins, user.locked_until = 0, None
            user.save()
            security.audit("user.reset_password", f"user:{user.username}")
            flash(f"{user.username} 的新密码（仅显示一次）：{password}", "")
        elif op == "unlock":
            user.failed_logins, user.locked_until = 0, None
            user.save()
            security.audit("user.unlock", f"user:{user.username}")
            flash(f"已解锁 {user.username}", "")
        elif op in ("deactivate", "activate"):
            user.active = op == "activate"
            user.save()
            security.audit(f"user.{op}", f"user:{user.username}")
            flash(f"已{'启用' if user.active else '停用'} {user.username}", "")
        else:
            abort(400)
    return redirect(url_for("admin.users"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """Every user changes their own password here."""
    message = None
    if request.method == "POST":
        new = request.form.get("new", "")
        if not g.user.check_password(request.form.get("current", "")):
            message = "当前密码不正确"
        elif password_problem(new, g.user.username):
            message = password_problem(new, g.user.username)
        elif new != request.form.get("repeat", ""):
            message = "两次输入的新密码不一致"
        else:
            with db.atomic():
                g.user.set_password(new)
                g.user.save()
                security.audit("user.change_password", f"user:{g.user.username}")
            security.start_session(g.user)
            flash("密码已修改", "")
            return redirect(url_for("admin.dashboard"))
    return render_template("admin/password.html", message=message)


@bp.route("/api-keys", methods=["POST"])
@security.roles("bureau", "dept_admin")
def api_key_new():
    dept_id = request.form.get("department", "")
    department = Department.get_or_none(Department.id == int(dept_id)) if dept_id.isdigit() else None
    if department is None:
        abort(400)
    g.scope.check(department.id)
    label = request.form.get("label", "").strip()[:100]
    with db.atomic():
        row, key = ApiKey.issue(department, label)
        security.audit("api_key.create", f"api_key:{row.prefix}", dept=department.code, label=label)
    query = g.scope.restrict(User.select().order_by(User.username), User.department)
    keys = g.scope.restrict(ApiKey.select().order_by(ApiKey.id.desc()), ApiKey.department)
    return render_template(
        "admin/users.html",
        users=list(query),
        keys=list(keys),
        departments=Department.directory() if g.scope.all else [g.user.department],
        roles=_assignable_roles(),
        shown_key=key,
    )


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@security.roles("bureau", "dept_admin")
def api_key_revoke(key_id: int):
    row = ApiKey.get_or_none(ApiKey.id == key_id)
    if row is None:
        abort(404)
    g.scope.check(row.department_id)
    if row.revoked_at is None:
        from core import clock

        with db.atomic():
            row.revoked_at = clock.now()
            row.save()
            security.audit("api_key.revoke", f"api_key:{row.prefix}", dept=row.department.code)
        cache.clear_all()  # this process forgets the key now, the others within api.auth.KEY_TTL
    flash(f"密钥 {row.prefix} 已停用", "")
    return redirect(url_for("admin.users"))


@bp.route("/labels")
@security.roles("bureau", "auditor")
def labels():
    sets = list(LabelSet.select().order_by(LabelSet.id.desc()))
    current = LabelSet.current()
    chosen_id = request.args.get("version", "")
    chosen = next((s for s in sets if str(s.id) == chosen_id), current)
    grouped = chosen.labels_by_level() if chosen else {}
    draft = "\n".join(f"{lb.level},{lb.code},{lb.text}" for lv in grouped for lb in grouped[lv])
    return render_template(
        "admin/labels.html", sets=sets, current=current, chosen=chosen, grouped=grouped, levels=LEVEL_NAMES, draft=draft
    )


@bp.route("/labels", methods=["POST"])
@security.roles("bureau")
def label_version_new():
    """A new dictionary version from lines `level,code,text`; activating it never rewrites old ratings."""
    version = request.form.get("version", "").strip()
    lines = [line.strip() for line in request.form.get("labels", "").splitlines() if line.strip()]
    problems, rows, seen = [], [], set()
    if not version or len(version) > 32 or LabelSet.get_or_none(LabelSet.version == version):
        problems.append("版本号为空、过长或已存在")
    for number, line in enumerate(lines, 1):
        parts = [p.strip() for p in line.replace("，", ",").split(",", 2)]
        if len(parts) != 3 or not parts[0].isdigit() or int(parts[0]) not in LEVEL_NAMES:
            problems.append(f"第 {number} 行：格式应为「等级(1-5),代码,文字」")
            continue
        if not parts[1] or len(parts[1]) > 16 or parts[1] in seen:
            problems.append(f"第 {number} 行：代码为空、过长或重复")
            continue
        if not parts[2] or len(parts[2]) > 50:
            problems.append(f"第 {number} 行：文字为空或超过 50 字")
            continue
        seen.add(parts[1])
        rows.append((int(parts[0]), parts[1], parts[2]))
    if not rows and not problems:
        problems.append("至少需要一个标签")
    if problems:
        for p in problems:
            flash(p, "error")
        return redirect(url_for("admin.labels"))
    with db.atomic():
        LabelSet.update(active=False).where(LabelSet.active).execute()
        label_set = LabelSet.create(version=version, active=True)
        for position, (level, code, text) in enumerate(rows):
            Label.create(label_set=label_set, level=level, code=code, text=text, position=position)
        security.audit("labels.new_version", f"label_set:{version}", labels=len(rows))
    flash(f"评价标签版本 {version} 已启用", "")
    return redirect(url_for("admin.labels"))
