"""Login and logout."""

from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from . import bp
from . import security


@bp.route("/login", methods=["GET", "POST"])
def login():
    message = None
    if request.method == "POST":
        username, password = request.form.get("username", ""), request.form.get("password", "")
        if not username.strip() or not password:
            user, message = None, "请输入用户名和密码"
        else:
            user, message = security.login(username, password)
        if user is not None:
            security.start_session(user)
            target = request.args.get("next") or ""
            # Only a path on this site: never an open redirect.
            if not target.startswith("/admin") or target.startswith("//"):
                target = url_for("admin.dashboard")
            return redirect(target)
    elif g.user is not None:
        return redirect(url_for("admin.dashboard"))
    return render_template("admin/login.html", message=message), (401 if message else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    security.audit("logout", f"user:{g.user.username}")
    security.end_session()
    return redirect(url_for("admin.login"))
