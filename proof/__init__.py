"""Operations and proof: the OpenAPI document, /metrics, security headers and logs.

`init_app` registers the blueprint (`/api/openapi.json`, `/metrics`), the
headers every answer carries, and the log format (`[app] log_format`).
"""

from flask import Blueprint

bp = Blueprint("proof", __name__)

from . import metrics  # noqa: E402,F401
from . import spec  # noqa: E402,F401


def init_app(app) -> None:
    from . import guard
    from . import headers
    from . import logs

    logs.init_app(app)
    headers.init_app(app)
    guard.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(bp)
