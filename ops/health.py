"""`/healthz`: 200 when the database answers."""

import logging

from flask import Blueprint
from flask import jsonify
from peewee import DatabaseError

from models import db
from models.pools import connection_lost

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except DatabaseError as exc:
        if connection_lost(exc):
            raise  # a pooled connection died: the request runs again on a fresh one (ops/database.py)
        log.exception("health check: database unreachable")
        return jsonify({"status": "error", "error": {"code": "database_unavailable", "message": "数据库不可用"}}), 503
    return jsonify({"status": "ok"})
