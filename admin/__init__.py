"""The staff admin page (bureau and department staff) under /admin.

Every view runs behind `security.load_user`: a logged-in, active user, a role
allowed for the endpoint, and a `Scope` that confines department roles to their
own department on every query, action and export.
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")

from . import approvals  # noqa: E402,F401
from . import assessment  # noqa: E402,F401
from . import audit  # noqa: E402,F401
from . import auth  # noqa: E402,F401
from . import channels  # noqa: E402,F401
from . import contacts  # noqa: E402,F401
from . import dashboard  # noqa: E402,F401
from . import flags  # noqa: E402,F401
from . import followups  # noqa: E402,F401
from . import imports  # noqa: E402,F401
from . import master  # noqa: E402,F401
from . import month  # noqa: E402,F401
from . import qr  # noqa: E402,F401
from . import reports  # noqa: E402,F401
from . import tickets  # noqa: E402,F401
from . import users  # noqa: E402,F401


def init_app(app) -> None:
    from . import security

    security.init_app(app)
    app.register_blueprint(bp)
