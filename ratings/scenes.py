"""Scenes: the ≤ 32-character key behind a window's or staff member's QR code.

`w:<window code>` and `s:<staff code>` when the code fits WeChat's scene
alphabet (codes are the stable identifiers printed posters outlive databases
with); otherwise `wi:<id>` / `si:<id>`. The prefix before the first ":" says
what follows, so a scene maps back without guessing.
"""

import re

from core.numbers import to_int
from models import Staff
from models import Window

SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")
# The part of the scene alphabet that is also safe in a URL path segment.
_CODE = re.compile(r"^[0-9A-Za-z\-._~]{1,30}$")


def scene_for(target) -> str:
    """The scene of a Window or a Staff member."""
    kind = "w" if isinstance(target, Window) else "s"
    if _CODE.match(target.code):
        return f"{kind}:{target.code}"
    return f"{kind}i:{target.id}"


def resolve(scene) -> tuple[Window | None, Staff | None] | None:
    """(window, staff) for a scene of an active window or staff member, else None."""
    if not isinstance(scene, str) or not SCENE.match(scene):
        return None
    kind, sep, key = scene.partition(":")
    if not sep or not key:
        return None
    model = {"w": Window, "wi": Window, "s": Staff, "si": Staff}.get(kind)
    if model is None:
        return None
    if kind in ("wi", "si"):
        if to_int(key) is None:
            return None
        target = model.get_or_none(model.id == to_int(key))
    else:
        target = model.by_code(key)
    if target is None or not target.active:
        return None
    if isinstance(target, Window):
        return target, None
    return (target.window if target.window_id else None), target
