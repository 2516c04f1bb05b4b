"""`/healthz`: 200 when the database answers; it also says how WeChat is reached, and
loudly when it is the in-process fake (demo only: it lets anyone log in with any code)."""

import logging

from flask import Blueprint
from flask import jsonify
from peewee import DatabaseError

from core.config import current_settings
from models import db
from wechat.client import mode as wechat_mode

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except DatabaseError:
        log.exception("health check: database unreachable")
        return jsonify({"status": "error", "error": {"code": "database_unavailable", "message": "数据库不可用"}}), 503
    body = {"status": "ok", "wechat": wechat_mode(current_settings())}
    if body["wechat"] == "fake":
        body["warning"] = FAKE_WECHAT
    return jsonify(body)


FAKE_WECHAT = '微信接口为进程内模拟（wechat.provider = "fake"），仅供演示：任何登录凭证都能登录，不得用于生产'
