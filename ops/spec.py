"""`/api/openapi.json`: the OpenAPI document of every JSON endpoint."""

import functools

from flask import jsonify

from . import bp
from .openapi import document


@functools.cache
def _document() -> dict:
    return document()


@bp.get("/api/openapi.json")
def openapi():
    return jsonify(_document())
