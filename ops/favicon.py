"""`/favicon.ico`: every browser asks for it on every page; one icon for the whole site.

Served from memory, not as a file stream: a browser that goes away mid-response (a tab
closed, a test's browser shut down) would leave the stream's file unclosed."""

import functools
import os

from flask import Response
from flask import request

from . import bp

STATIC = os.path.join(os.path.dirname(__file__), "static")
MAX_AGE = 7 * 86400


@functools.cache
def _icon() -> bytes:
    with open(os.path.join(STATIC, "favicon.ico"), "rb") as fh:
        return fh.read()


@bp.get("/favicon.ico")
def favicon():
    response = Response(_icon(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    return response.make_conditional(request)
