"""`/favicon.ico`: every browser asks for it on every page; one icon for the whole site."""

import os

from flask import send_from_directory

from . import bp

STATIC = os.path.join(os.path.dirname(__file__), "static")


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(STATIC, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=7 * 86400)
