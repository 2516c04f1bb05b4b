"""Rating codes and phone numbers, the two identifiers a citizen carries."""

import re
import secrets

# No 0/O or 1/I: the code may be typed from an SMS. 32 symbols = 5 bits each.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 9  # 45 random bits: the contract asks for at least 40.

_PHONE = re.compile(r"^1[3-9]\d{9}$")


def new_rating_code() -> str:
    # One draw of 45 bits, 5 per symbol: as uniform as a choice per symbol, at a
    # tenth of the cost (a batch of 1000 cases draws 1000 codes).
    bits = secrets.randbits(5 * CODE_LENGTH)
    return "".join(ALPHABET[(bits >> shift) & 31] for shift in range(0, 5 * CODE_LENGTH, 5))


def normalize_phone(raw: str) -> str | None:
    """A mainland mobile number as 11 digits, or None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if _PHONE.match(digits) else None


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize_id_number(raw: str) -> str | None:
    """An 18-digit resident ID (checksum verified) or an 18-character unified social credit code."""
    value = raw.strip().upper()
    if re.fullmatch(r"\d{17}[\dX]", value):
        total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
        return value if "10X98765432"[total % 11] == value[17] else None
    return value if _CREDIT.match(value) else None


def mask_phone(phone: str | None) -> str:
    """138****1234 — the only form in which staff and logs see a number by default."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def mask_name(name: str | None) -> str:
    """张** — a person's name as staff see it by default: the first character only."""
    if not name:
        return ""
    return name[:1] + "*" * max(len(name) - 1, 1)
