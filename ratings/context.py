"""What is being rated, as a citizen sees it: names only, never personal data."""

import datetime as dt

from core import clock
from core.codes import ALPHABET
from core.config import current_settings
from models import LEVEL_NAMES
from models import Case
from models import LabelSet
from models import Rating
from models.label import BAD_LEVELS

from .scenes import resolve

CODE_CHARS = set(ALPHABET)


def case_by_code(code):
    """The case behind a rating code, or None (also for malformed input)."""
    if not isinstance(code, str) or not 4 <= len(code) <= 16:
        return None
    code = code.strip().upper()
    if not set(code) <= CODE_CHARS:
        return None
    return Case.by_rating_code(code)


def case_expired(case) -> bool:
    days = current_settings().ratings.rating_window_days
    return bool(case.completed_at and clock.now() > case.completed_at + dt.timedelta(days=days))


def rated(case) -> bool:
    return Rating.first_for_case(case) is not None


def describe_case(case) -> dict:
    return {
        "kind": "case",
        "item": case.item.name,
        "department": case.department.name,
        "hall": case.hall.name if case.hall_id else None,
        "window": case.window.name if case.window_id else None,
        "staff": case.staff.name if case.staff_id else None,
        "completed_at": clock.iso(case.completed_at),
    }


def describe_onsite(window, staff) -> dict:
    department = staff.department if staff is not None else window.department
    return {
        "kind": "staff" if staff is not None else "window",
        "item": None,
        "department": department.name,
        "hall": window.hall.name if window is not None else None,
        "window": window.name if window is not None else None,
        "staff": staff.name if staff is not None else None,
        "completed_at": None,
    }


def levels() -> dict:
    """The five levels, best first, each with its labels in the current dictionary."""
    label_set = LabelSet.current()
    grouped = label_set.labels_by_level() if label_set is not None else {level: [] for level in LEVEL_NAMES}
    return {
        "label_version": label_set.version if label_set is not None else None,
        "levels": [
            {
                "level": level,
                "name": LEVEL_NAMES[level],
                "is_bad": level in BAD_LEVELS,
                "labels": [{"code": label.code, "text": label.text} for label in grouped[level]],
            }
            for level in sorted(LEVEL_NAMES, reverse=True)
        ],
    }


def onsite_left(rater_ref: str, window) -> int | None:
    """How many on-site ratings this rater has left today at this window."""
    if window is None:
        return None
    limit = current_settings().ratings.onsite_daily_limit
    return max(0, limit - Rating.onsite_count(rater_ref, window, clock.today()))


def target_from(code=None, scene=None):
    """("case", case) or ("onsite", (window, staff)) or None."""
    if code is not None:
        case = case_by_code(code)
        return ("case", case) if case is not None else None
    found = resolve(scene)
    return ("onsite", found) if found is not None else None
