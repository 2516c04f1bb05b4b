"""Printable posters: per window (and per staff member) both codes with the
hall and window names; per hall every poster in one multi-page PDF.

    window_poster(window) -> PNG bytes      staff_poster(staff) -> PNG bytes
    hall_posters(hall) -> PDF bytes         poster(kind, target, known ETags) -> Poster

A hall's PDF costs 1–2 s of CPU and megabytes: each poster is drawn once per
change of what it shows and kept (`PosterCache`), under a digest of its content
(names, codes, the base URL, the deadline it promises, `POSTER_VERSION`), which
is also its ETag: an unchanged poster is read back, or answered 304.
"""

import functools
import hashlib
import io
import json
import os
import shutil
import subprocess  # noqa: S404 - fc-match, a fixed argument list
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.config import current_settings
from models import Department
from models import Hall
from models import PosterCache
from models import Staff
from models import Window
from ratings.scenes import scene_for

from .client import WeChatError
from .qrcodes import failure as wechat_failure
from .qrcodes import onsite_url
from .qrcodes import plain_qr
from .qrcodes import wxacode

if TYPE_CHECKING:
    from PIL import Image

# Pillow (3.5 MB of a web worker's memory) is imported by the first poster drawn, not at start.

# A4 portrait at 150 dpi.
WIDTH, HEIGHT, DPI = 1240, 1754, 150
RED, INK, GREY = (183, 28, 28), (31, 35, 41), (100, 106, 115)
CODE_SIZE = 520
FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class PosterError(Exception):
    """A poster cannot be drawn (no CJK font on this machine, a hall without windows)."""


# What keeps a poster from being drawn: the pages that serve one answer with `failure(exc)`.
FAILURES = (WeChatError, PosterError)


def failure(exc: Exception) -> tuple[str, str, int]:
    """(error code, message for staff, HTTP status) of a poster that could not be drawn."""
    if isinstance(exc, PosterError):
        return "poster_unavailable", str(exc), 503
    return wechat_failure(exc)


@functools.cache
def _font_path() -> str:
    for path in FONT_PATHS:
        if os.path.exists(path):
            return path
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run(  # noqa: S603 - fixed arguments
            [fc_match, "-f", "%{file}", ":lang=zh"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
        if found and os.path.exists(found) and "DejaVu" not in found:
            return found
    raise PosterError("未找到中文字体：请安装 fonts-wqy-microhei 或 fonts-noto-cjk")


@functools.lru_cache(maxsize=64)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(_font_path(), size)


def _centered(draw, y: int, text: str, size: int, fill=INK, width: int = WIDTH, x0: int = 0) -> int:
    font = _font(size)
    while draw.textlength(text, font=font) > width - 80 and size > 20:
        size -= 4
        font = _font(size)
    draw.text((x0 + (width - draw.textlength(text, font=font)) / 2, y), text, font=font, fill=fill)
    return y + int(size * 1.35)


def _code(image_bytes: bytes) -> "Image.Image":
    from PIL import Image

    return Image.open(io.BytesIO(image_bytes)).convert("RGB").resize((CODE_SIZE, CODE_SIZE), Image.NEAREST)


def _poster(target, heading: list[tuple[str, int, tuple]]) -> "Image.Image":
    from PIL import Image
    from PIL import ImageDraw

    settings = current_settings()
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 250), fill=RED)
    _centered(draw, 50, "政务服务“好差评”", 92, fill="white")
    _centered(draw, 170, "扫码评价 · 一次一评", 44, fill="white")
    y = 310
    for text, size, color in heading:
        y = _centered(draw, y, text, size, fill=color)
    y += 70
    wx_image, _ = wxacode(target)
    codes = (
        (_code(wx_image), "微信扫一扫", "进入小程序评价"),
        (_code(plain_qr(target)), "其他扫码工具", "打开网页评价"),
    )
    column = WIDTH // 2
    for index, (code, line1, line2) in enumerate(codes):
        x = index * column + (column - CODE_SIZE) // 2
        image.paste(code, (x, y))
        _centered(draw, y + CODE_SIZE + 30, line1, 50, width=column, x0=index * column)
        _centered(draw, y + CODE_SIZE + 100, line2, 38, fill=GREY, width=column, x0=index * column)
    y += CODE_SIZE + 200
    draw.line((80, y, WIDTH - 80, y), fill=(220, 223, 228), width=3)
    y = _centered(draw, y + 40, "非常满意 · 满意 · 基本满意 · 不满意 · 非常不满意", 40)
    days = settings.rectification.deadline_working_days
    y = _centered(draw, y + 20, f"每一条差评都有核实、整改和回复，{days} 个工作日内反馈。", 34, fill=GREY)
    _centered(draw, HEIGHT - 90, onsite_url(target), 28, fill=GREY)
    return image


def _window_image(window: Window) -> "Image.Image":
    return _poster(
        window,
        [(window.hall.name, 52, GREY), (window.name, 84, INK), (window.department.name, 44, GREY)],
    )


def _staff_image(staff: Staff) -> "Image.Image":
    where = f"{staff.window.hall.name} · {staff.window.name}" if staff.window_id else staff.department.name
    return _poster(staff, [(where, 48, GREY), (f"工作人员：{staff.name}", 80, INK), (staff.department.name, 44, GREY)])


def _png(image: "Image.Image") -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(DPI, DPI), optimize=True)
    return out.getvalue()


# Bump when the drawing changes: every kept poster is drawn again.
POSTER_VERSION = "1"
TYPES = {"hall": "application/pdf", "window": "image/png", "staff": "image/png"}
_drawing = threading.Lock()  # one drawing at a time per process: a burst waits, then reads the kept one


@dataclass(frozen=True)
class Poster:
    data: bytes | None  # None: the caller's copy (its ETag) is current
    etag: str
    content_type: str


def window_poster(window: Window) -> bytes:
    return poster("window", window).data


def staff_poster(staff: Staff) -> bytes:
    return poster("staff", staff).data


def hall_posters(hall) -> bytes:
    return poster("hall", hall).data


def poster(kind: str, target, known=()) -> Poster:
    """The kept poster of `target` (drawn now if what it shows changed); data None when the
    caller's copy is current (its ETag is in `known`, an If-None-Match)."""
    members = _hall_members(target) if kind == "hall" else None
    digest = _fingerprint(kind, target, members)
    content_type = TYPES[kind]
    if digest in known:
        return Poster(None, digest, content_type)
    key = f"{kind}:{target.id}"
    row = PosterCache.stored(key, digest)
    if row is None:
        with _drawing:
            row = PosterCache.stored(key, digest)
            if row is None:
                data = _draw(kind, target, members)
                PosterCache.store(key, digest, content_type, data)
                return Poster(data, digest, content_type)
    return Poster(bytes(row.data), digest, content_type)


def _draw(kind: str, target, members) -> bytes:
    if kind == "window":
        return _png(_window_image(target))
    if kind == "staff":
        return _png(_staff_image(target))
    windows, staff = members
    pages = [_window_image(w) for w in windows] + [_staff_image(s) for s in staff]
    if not pages:
        raise PosterError("该大厅没有启用的窗口")
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI)
    return out.getvalue()


def _hall_members(hall) -> tuple[list, list]:
    """Every active window of the hall, then its staff (the PDF's pages), names joined in."""
    windows = list(
        Window.select(Window, Hall, Department)
        .join(Hall)
        .switch(Window)
        .join(Department)
        .where((Window.hall == hall) & Window.active)
        .order_by(Window.code)
    )
    staff = list(
        Staff.select(Staff, Window, Hall, Department)
        .join(Window)
        .join(Hall)
        .switch(Staff)
        .join(Department)
        .where((Window.hall == hall) & Window.active & Staff.active)
        .order_by(Window.code, Staff.code)
    )
    return windows, staff


def _fingerprint(kind: str, target, members) -> str:
    settings = current_settings()
    parts = [
        POSTER_VERSION,
        kind,
        settings.app.base_url,
        settings.rectification.deadline_working_days,
        settings.wechat.rate_page,
        settings.wechat.env_version,
    ]
    if kind == "hall":
        windows, staff = members
        parts += [_shown_window(w) for w in windows] + [_shown_staff(s) for s in staff]
    elif kind == "window":
        parts.append(_shown_window(target))
    else:
        parts.append(_shown_staff(target))
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _shown_window(window: Window) -> list:
    return [scene_for(window), window.name, window.hall.name, window.department.name]


def _shown_staff(staff: Staff) -> list:
    where = [staff.window.hall.name, staff.window.name] if staff.window_id else []
    return [scene_for(staff), staff.name, staff.department.name, *where]
