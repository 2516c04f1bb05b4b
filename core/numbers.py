"""The one integer parser: every number a person or a machine types in a form, a
query string, an uploaded sheet or an SMS is read here.

The normalisation, documented once: the text is trimmed and NFKC-normalised, so
full-width digits (０–９, what a Chinese input method types), superscripts (²) and
circled digits (①) read as the ASCII digit they show; after that only ASCII digits
0–9 count — no sign, no decimal point, no digits of other scripts, at most
`MAX_DIGITS` of them — and the value must lie in the caller's range. Anything else
is "not a number" (None), never an exception: `int()` on `str.isdigit()` text raises
on "²" and spends seconds on a 100,000-digit string.
"""

import unicodedata

# A PostgreSQL `integer` (ids, counts): anything larger cannot match a stored row, and
# SQLite raises on integers beyond 64 bits.
INT32_MAX = 2**31 - 1
MAX_DIGITS = 18
# NFKC may expand a character to many (U+FDFA to 18): longer text is refused before it.
_MAX_RAW = 40


def to_int(value, lo: int = 0, hi: int = INT32_MAX) -> int | None:
    """`value` (text, or an int) as an integer in lo..hi, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if lo <= value <= hi else None
    if not isinstance(value, str) or len(value) > _MAX_RAW:
        return None
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        text = unicodedata.normalize("NFKC", text).strip()
    if not text or len(text) > MAX_DIGITS or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if lo <= number <= hi else None
