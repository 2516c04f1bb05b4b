"""Rating codes and phone numbers, the two identifiers a citizen carries."""

import re
import secrets

# No 0/O or 1/I: the code may be typed from an SMS. 32 symbols = 5 bits each.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 9  # 45 random bits: the contract asks for at least 40.

_PHONE = re.compile(r"^1[3-9]\d{9}$")


def new_rating_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_phone(raw: str) -> str | None:
    """A mainland mobile number as 11 digits, or None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if _PHONE.match(digits) else None


def mask_phone(phone: str | None) -> str:
    """138****1234 — the only form in which staff and logs see a number by default."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
