"""业务联系人: each unit's business contact, masked; edited by the bureau or the unit's admin.

The name and phone are personal data: stored encrypted (models/pii.py), shown masked,
and revealed in clear only on request with a reason, which the audit log keeps.
"""

from flask import abort
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from core.codes import mask_name
from core.codes import mask_phone
from core.errors import ApiError
from core.numbers import INT32_MAX
from core.numbers import to_int
from figures import submissions
from models import BusinessContact
from models import Department
from models import User
from models.access import DEPARTMENT_ROLES

from . import bp
from . import security


def _rows(revealed: dict | None = None) -> list[dict]:
    contacts = BusinessContact.by_department()
    rows = []
    for d in submissions.units():
        if not g.scope.all and d.id != g.scope.department_id:
            continue
        c = contacts.get(d.id)
        clear = revealed is not None and revealed.get("id") == d.id
        rows.append(
            {
                "department": d,
                "name": (c.name if clear else mask_name(c.name)) if c else "",
                "phone": (c.phone if clear else mask_phone(c.phone)) if c else "",
                "user": (c.user.display_name or c.user.username) if c and c.user else "",
                "revealed": clear,
            }
        )
    return rows


def _department(raw) -> Department:
    department_id = to_int(raw, 1, INT32_MAX)
    department = Department.get_or_none(Department.id == department_id) if department_id else None
    if department is None or department.is_bureau:
        abort(404)
    g.scope.check(department.id)
    return department


@bp.route("/contacts")
@security.roles("bureau", "dept_admin", "auditor")
def contacts():
    return render_template("admin/contacts.html", rows=_rows(), may_edit=g.user.role in ("bureau", "dept_admin"))


@bp.route("/contacts/reveal", methods=["POST"])
@security.roles("bureau", "dept_admin")
def contact_reveal():
    department = _department(request.form.get("department"))
    reason = (request.form.get("reason") or "").strip()
    if not reason:
        flash("请填写查看原因（如：电话催报）", "error")
        return redirect(url_for("admin.contacts"))
    security.audit("personal_data.reveal", f"contact:{department.code}", reason=reason[:200])
    return render_template(
        "admin/contacts.html", rows=_rows({"id": department.id}), may_edit=g.user.role in ("bureau", "dept_admin")
    )


@bp.route("/contacts/edit", methods=["GET", "POST"])
@security.roles("bureau", "dept_admin")
def contact_edit():
    department = _department(request.values.get("department"))
    if request.method == "POST":
        try:
            submissions.set_contact(
                department,
                request.form.get("name"),
                request.form.get("phone"),
                request.form.get("user") or None,
                g.user,
            )
        except ApiError as exc:
            flash(exc.message, "error")
        else:
            flash(f"{department.name}的业务联系人已保存", "")
            return redirect(url_for("admin.contacts"))
    contact = BusinessContact.of(department.id)
    users = User.select().where((User.department == department.id) & User.active & User.role.in_(DEPARTMENT_ROLES))
    return render_template(
        "admin/contact_edit.html",
        department=department,
        contact=contact,
        masked=(mask_name(contact.name), mask_phone(contact.phone)) if contact else ("", ""),
        users=list(users),
    )
