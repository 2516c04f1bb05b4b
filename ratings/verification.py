"""A phone verified by an SMS one-time code: what binds a case-less on-site rating to a
person when there is no WeChat identity (the window's QR page).

`send_code` stores a keyed hash of a fresh six-digit code and, in the same
transaction, the SMS that carries it (an outbox row the scheduler sends at once,
quiet hours or not: the citizen is waiting for it). `check_code` spends one
attempt; after `MAX_ATTEMPTS` wrong codes, or `ratings.otp_minutes`, the code is
dead. A verified phone rates as `phone:<its lookup hash>`: capped per phone,
window and day like any rater, and no longer counted as an anonymous client of
its network (`ratings/onsite.py`).
"""

import datetime as dt
import secrets

from core import clock
from core.codes import mask_phone
from core.config import current_settings
from core.crypto import keyring
from core.crypto import phone_hash
from core.errors import error
from models import Outbox
from models import PhoneVerification
from models import db

MAX_ATTEMPTS = 5
# Codes sent to one phone per hour: the web_phone/web_otp_ip limits bound the rest.
MAX_PER_HOUR = 5
SMS_TEXT = (
    "验证码{code}，用于验证您在鄠邑区政务服务现场评价中留下的手机号，{minutes}分钟内有效。如非本人操作，请忽略本短信。"
)


def rater_ref(phone: str) -> str:
    return "phone:" + phone_hash(phone)


def send_code(phone: str) -> PhoneVerification:
    """A new code for `phone` (normalised), sent by SMS; raises ApiError when too many were sent."""
    minutes = current_settings().ratings.otp_minutes
    hashed = phone_hash(phone)
    now = clock.now()
    if PhoneVerification.sent_since(hashed, now - dt.timedelta(hours=1)) >= MAX_PER_HOUR:
        error("otp_too_many", "该手机号获取验证码过于频繁，请稍后再试，或不验证手机号直接评价", 429)
    code = f"{secrets.randbelow(10**6):06d}"
    with db.atomic():
        row = PhoneVerification.create(
            phone_hash=hashed,
            code_hash="",
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
        PhoneVerification.update(code_hash=_code_hash(row.id, code)).where(PhoneVerification.id == row.id).execute()
        Outbox.put(
            "sms.message",
            f"otp:{row.id}",
            {
                "phone": phone,
                "text": SMS_TEXT.format(code=code, minutes=minutes),
                "purpose": "otp",
                "code": code,
                "expires_at": clock.iso(row.expires_at),
            },
        )
    return row


def check_code(verification_id, phone: str, code: str) -> None:
    """The code the citizen typed, for the verification this browser asked for; raises ApiError
    (422 wrong or dead code) and counts a wrong attempt."""
    row = PhoneVerification.get_or_none(PhoneVerification.id == verification_id) if verification_id else None
    if row is None or row.phone_hash != phone_hash(phone):
        error("otp_not_requested", f"请先获取发送至 {mask_phone(phone)} 的验证码", 422)
    if row.expires_at <= clock.now() or row.attempts >= MAX_ATTEMPTS:
        error("otp_expired", "验证码已失效，请重新获取", 422)
    code = (code or "").strip()
    if not (code.isdigit() and len(code) == 6) or not secrets.compare_digest(row.code_hash, _code_hash(row.id, code)):
        PhoneVerification.update(attempts=PhoneVerification.attempts + 1).where(
            PhoneVerification.id == row.id
        ).execute()
        error("otp_wrong", "验证码不正确，请核对短信中的 6 位数字", 422)
    PhoneVerification.update(verified_at=clock.now()).where(PhoneVerification.id == row.id).execute()


def _code_hash(row_id: int, code: str) -> str:
    # Keyed and bound to the row: a code is good for its own verification only.
    return keyring().digest("otp", f"{row_id}:{code}")
