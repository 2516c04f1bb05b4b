"""Aliyun's HTTP pushes: SmsUp (replies) and SmsReport (delivery receipts).

Aliyun waits about 700 ms and authenticates nothing, so the secret is the
path token, the body is checked strictly, each item is stored once (the
dedupe key makes a repeated push a no-op) and processing happens in a job.
"""

import hmac

from flask import Blueprint
from flask import abort
from flask import jsonify

from core.config import current_settings
from core.errors import error
from edge.json import json_body

from .inbox import store_callback

bp = Blueprint("sms", __name__, url_prefix="/sms/aliyun")

MAX_ITEMS = 1000


def _check_token(token: str) -> None:
    expected = current_settings().sms.callback_token
    # An empty token means the callbacks are off: nothing answers but 404.
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        abort(404)


def _items() -> list:
    # Aliyun posts application/json; a charset or a missing header changes nothing.
    items = json_body()
    if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
        error("invalid_body", f"回执内容必须是 1–{MAX_ITEMS} 项的 JSON 数组", 400)
    return items


@bp.post("/<token>/up")
def sms_up(token):
    _check_token(token)
    store_callback("up", _items())
    return jsonify({"code": 0, "msg": "接收成功"})


@bp.post("/<token>/report")
def sms_report(token):
    _check_token(token)
    store_callback("report", _items())
    return jsonify({"code": 0, "msg": "接收成功"})
