"""The business-system API (`/api/v1`), one module per resource."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import cases  # noqa: E402,F401
from . import directory  # noqa: E402,F401
from . import ratings  # noqa: E402,F401
