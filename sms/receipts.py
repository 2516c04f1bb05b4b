"""Receipts that never came: Aliyun does not guarantee its SmsReport pushes,
so SMS still without a receipt after a while are looked up with
QuerySendDetails (by number and day) and settled the same way."""

import datetime as dt
import logging
from contextlib import closing

from flask import current_app

from core import clock
from models import db

from .inbox import apply_receipt
from .models import SmsMessage
from .provider import make_provider

log = logging.getLogger(__name__)

# Give the push time to arrive before asking; Aliyun keeps details 30 days.
AFTER = dt.timedelta(hours=1)
WITHIN = dt.timedelta(days=3)
MAX_LOOKUPS = 50


def reconcile_receipts() -> dict:
    settings = current_app.config["SETTINGS"]
    if settings.sms.provider != "aliyun":
        return {}
    provider = make_provider(settings.sms)
    now = clock.now()
    counts: dict = {}
    with db.connection_context(), closing(provider):
        waiting = list(
            SmsMessage.select()
            .where(
                (SmsMessage.provider == "aliyun")
                & (SmsMessage.state == "sent")
                & (SmsMessage.sent_at <= now - AFTER)
                & (SmsMessage.sent_at > now - WITHIN)
            )
            .order_by(SmsMessage.sent_at)
        )
        groups: dict = {}
        for message in waiting:
            groups.setdefault((message.phone, message.created_at.date()), []).append(message)
        for (phone, day), messages in list(groups.items())[:MAX_LOOKUPS]:
            details = provider.details(phone, day)
            if isinstance(details, str):
                counts["error"] = counts.get("error", 0) + 1
                log.warning("QuerySendDetails failed: %s", details)
                continue
            for message in messages:
                outcome = _settle(message, details)
                counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _settle(message: SmsMessage, details: list[dict]) -> str:
    for item in details:
        if str(item.get("OutId")) != message.out_id or item.get("TemplateCode") != message.template_code:
            continue
        status = int(item.get("SendStatus") or 1)
        if status == 1:
            return "waiting"
        try:
            at = dt.datetime.strptime(item.get("ReceiveDate") or "", "%Y-%m-%d %H:%M:%S")
        except ValueError:
            at = clock.now()
        code = str(item.get("ErrCode") or "")[:64]
        with db.atomic():
            outcome, _ = apply_receipt(message, status == 3, code, "运营商回执（查询）：" + code, at)
        return outcome
    return "not_found"
