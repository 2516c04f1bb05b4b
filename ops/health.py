"""`/healthz`: 200 `{"status": "ok", …}` when the database answers (API.md), 503 when it
does not; with it, whether the scheduler runs its jobs on time (`scheduler`), so that a
monitor sees a scheduler that stopped — the web app itself stays healthy without one —
and how WeChat is reached, loudly when it is the in-process fake (demo only: it lets
anyone log in with any code)."""

import logging

from flask import Blueprint
from flask import jsonify
from peewee import DatabaseError

from core import clock
from core.config import current_settings
from jobs.status import scheduler_health
from models import db
from models.pools import connection_lost
from wechat.client import mode as wechat_mode

from . import database

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    if not _database_answers():
        return jsonify({"status": "error", "error": {"code": "database_unavailable", "message": "数据库不可用"}}), 503
    scheduler = scheduler_health()
    body = {
        "status": "ok",
        "database": "ok",
        "scheduler": {
            "status": scheduler["status"],
            "late_jobs": scheduler["late_jobs"],
            "beat_at": clock.iso(scheduler["beat_at"]),
        },
        "wechat": wechat_mode(current_settings()),
    }
    if body["wechat"] == "fake":
        body["warning"] = FAKE_WECHAT
    return jsonify(body)


FAKE_WECHAT = '微信接口为进程内模拟（wechat.provider = "fake"），仅供演示：任何登录凭证都能登录，不得用于生产'


def _database_answers() -> bool:
    for attempt in (1, 2):
        try:
            db.connect(reuse_if_open=True)
            db.execute_sql("SELECT 1")
            return True
        except DatabaseError as exc:
            if attempt == 1 and connection_lost(exc):
                database.drop_connection()  # a pooled connection died with the server's restart: once more
                continue
            log.exception("health check: database unreachable")
    return False
