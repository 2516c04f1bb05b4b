"""Master data: departments, halls, windows, staff and items.

One table of field specs drives the list and edit pages. Department admins
see and edit their own department's halls, windows and staff (items and the
department itself read-only); the bureau edits everything; nothing is deleted
(rows referenced by cases and ratings are deactivated instead).
"""

from dataclasses import dataclass

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from peewee import JOIN
from peewee import IntegrityError

from core import cache
from edge.params import page_arg
from models import DEPARTMENT_KINDS
from models import ITEM_CATEGORIES
from models import Department
from models import Hall
from models import Item
from models import Staff
from models import Window
from models import db

from . import bp
from . import security

PER_PAGE = 100


@dataclass
class Field:
    name: str
    label: str
    kind: str = "text"  # text | choice | fk | bool
    required: bool = True
    max_length: int = 100


@dataclass
class Kind:
    model: type
    title: str
    fields: list
    dept_admin_edits: bool


KINDS = {
    "department": Kind(
        Department,
        "部门",
        [
            Field("code", "编码", max_length=32),
            Field("name", "名称"),
            Field("kind", "类型", "choice"),
            Field("credit_code", "统一社会信用代码", required=False, max_length=18),
            Field("active", "启用", "bool"),
        ],
        False,
    ),
    "hall": Kind(
        Hall,
        "大厅",
        [
            Field("code", "编码", max_length=32),
            Field("name", "名称"),
            Field("department", "所属部门", "fk"),
            Field("address", "地址", required=False, max_length=200),
            Field("active", "启用", "bool"),
        ],
        True,
    ),
    "window": Kind(
        Window,
        "窗口",
        [
            Field("code", "编码", max_length=32),
            Field("name", "名称"),
            Field("hall", "所在大厅", "fk"),
            Field("department", "所属部门", "fk"),
            Field("active", "启用", "bool"),
        ],
        True,
    ),
    "staff": Kind(
        Staff,
        "工作人员",
        [
            Field("code", "工号", max_length=32),
            Field("name", "姓名", max_length=50),
            Field("department", "所属部门", "fk"),
            Field("window", "窗口", "fk", required=False),
            Field("active", "在岗", "bool"),
        ],
        True,
    ),
    "item": Kind(
        Item,
        "事项",
        [
            Field("code", "事项编码", max_length=64),
            Field("name", "事项名称", max_length=200),
            Field("category", "事项类型", "choice"),
            Field("department", "实施部门", "fk"),
            Field("active", "启用", "bool"),
        ],
        False,
    ),
}


def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


def _department_of(kind: str, row) -> int:
    return row.id if kind == "department" else row.department_id


def choices(kind: str) -> dict:
    """Options of the choice and foreign-key fields, within the user's scope."""
    own = g.scope.department_id
    departments = Department.directory()
    halls = Hall.select().where(Hall.active).order_by(Hall.id)
    windows = Window.select().where(Window.active).order_by(Window.code)
    if own is not None:
        departments = [d for d in departments if d.id == own]
        # A department's windows may sit in its own halls or in the bureau's shared centre.
        halls = halls.where(
            (Hall.department == own) | Hall.department.in_(Department.select().where(Department.is_bureau))
        )
        windows = windows.where(Window.department == own)
    return {
        "kind": list(DEPARTMENT_KINDS.items()),
        "category": [(c, c) for c in ITEM_CATEGORIES],
        "department": [(d.id, d.name) for d in departments],
        "hall": [(h.id, h.name) for h in halls],
        "window": [(w.id, f"{w.code} {w.name}") for w in windows],
    }


def may_edit(kind: str) -> bool:
    return g.user.role == "bureau" or (g.user.role == "dept_admin" and KINDS[kind].dept_admin_edits)


@bp.route("/master/<kind>")
@security.roles("bureau", "dept_admin", "auditor")
def master_list(kind: str):
    spec = _kind(kind)
    model = spec.model
    query = model.select().order_by(model.code)
    # The names of the related rows come in the same query (no query per row).
    for f in spec.fields:
        if f.kind == "fk":
            related = getattr(model, f.name).rel_model.alias(f.name)
            query = query.select_extend(related).join_from(
                model, related, JOIN.LEFT_OUTER, on=(getattr(model, f.name) == related.id), attr=f.name
            )
    if g.scope.department_id is not None:
        field = model.id if kind == "department" else model.department
        query = query.where(field == g.scope.department_id)
    q = request.args.get("q", "").strip()
    if q:
        query = query.where(model.code.contains(q) | model.name.contains(q))
    page = page_arg()
    total = query.count()
    return render_template(
        "admin/master_list.html",
        kind=kind,
        kinds=KINDS,
        spec=spec,
        rows=list(query.paginate(max(page, 1), PER_PAGE)),
        total=total,
        page=max(page, 1),
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        q=q,
        may_edit=may_edit(kind),
        labels={"kind": DEPARTMENT_KINDS},
        args=request.args,
    )


@bp.route("/master/<kind>/new", methods=["GET", "POST"])
@security.roles("bureau", "dept_admin")
def master_new(kind: str):
    spec = _kind(kind)
    if not may_edit(kind):
        abort(403)
    return _edit(kind, spec, spec.model(active=True))


@bp.route("/master/<kind>/<int:row_id>", methods=["GET", "POST"])
@security.roles("bureau", "dept_admin", "auditor")
def master_edit(kind: str, row_id: int):
    spec = _kind(kind)
    row = spec.model.get_or_none(spec.model.id == row_id)
    if row is None:
        abort(404)
    g.scope.check(_department_of(kind, row))
    if request.method == "POST" and not may_edit(kind):
        abort(403)
    return _edit(kind, spec, row)


def _edit(kind: str, spec: Kind, row):
    options = choices(kind)
    errors = {}
    if request.method == "POST":
        values, errors = _validate(spec, request.form, options)
        if not errors:
            before = {f.name: _plain(getattr(row, f.name + ("_id" if f.kind == "fk" else ""))) for f in spec.fields}
            for name, value in values.items():
                setattr(row, name, value)
            creating = row.id is None
            try:
                with db.atomic():
                    row.save()
                    changed = {k: v for k, v in values.items() if before.get(k) != v}
                    security.audit(f"{kind}.{'create' if creating else 'update'}", f"{kind}:{row.code}", **changed)
            except IntegrityError:
                errors["code"] = "编码已存在"
            else:
                cache.clear_all()  # the rating API caches windows and staff by code
                flash(f"{spec.title}「{row.name}」已保存", "")
                return redirect(url_for("admin.master_list", kind=kind))
    return render_template(
        "admin/master_edit.html",
        kind=kind,
        spec=spec,
        row=row,
        options=options,
        errors=errors,
        may_edit=may_edit(kind),
        form=request.form if request.method == "POST" else None,
    )


def _plain(value):
    return value if isinstance(value, (str, int, bool, type(None))) else str(value)


def _validate(spec: Kind, form, options) -> tuple[dict, dict]:
    values, errors = {}, {}
    for f in spec.fields:
        raw = (form.get(f.name) or "").strip()
        if f.kind == "bool":
            values[f.name] = raw in ("1", "on", "true")
            continue
        if not raw:
            if f.required:
                errors[f.name] = f"请填写{f.label}"
            values[f.name] = None
            continue
        if f.kind in ("choice", "fk"):
            allowed = {str(k): k for k, _ in options[f.name]}
            if raw not in allowed:
                errors[f.name] = f"{f.label}不在可选范围内"
                continue
            values[f.name] = allowed[raw]
            continue
        if len(raw) > f.max_length:
            errors[f.name] = f"{f.label}不能超过 {f.max_length} 字"
            continue
        values[f.name] = raw
    if values.get("address") is None and "address" in values:
        values["address"] = ""
    return values, errors
