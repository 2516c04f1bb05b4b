"""Running the product: the OpenAPI document, /metrics, /healthz, /favicon.ico, security
headers, logs, the error shape, CSRF, page sessions, the rate-limit table,
personal-data keys and retention, and the operator commands.

`init_app` wires the request-side parts into an app; `app.py` calls it after
every blueprint is registered (CSRF exemptions and limits attach by name).
"""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from . import favicon  # noqa: E402,F401
from . import metrics  # noqa: E402,F401
from . import spec  # noqa: E402,F401


def init_app(app) -> None:
    from . import csrf
    from . import errors
    from . import guard
    from . import headers
    from . import limits
    from . import logs
    from . import sessions

    sessions.init_app(app)
    errors.init_app(app)
    logs.init_app(app)
    headers.init_app(app)
    guard.init_app(app)
    app.register_blueprint(bp)
    csrf.init_app(app)  # after the blueprints: it exempts the JSON blueprints by name
    limits.init_app(app)  # after the blueprints: limits attach to them by name
