"""The two codes of every window and staff member: a mini-program code
(wxacode.getUnlimited, fetched once and kept, since such codes are permanent)
and a plain QR code to `/q/<scene>` for any other scanning app (segno)."""

import io

import segno

from core.config import current_settings
from models import WxaCode
from ratings.scenes import scene_for

from .client import WeChatError
from .client import call
from .client import get_client

IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def onsite_url(target) -> str:
    return current_settings().app.base_url.rstrip("/") + "/q/" + scene_for(target)


def plain_qr(target, scale: int = 10) -> bytes:
    """A PNG QR code of the target's H5 page (error correction Q: survives wear)."""
    out = io.BytesIO()
    segno.make(onsite_url(target), error="q").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def failure(exc: WeChatError) -> tuple[str, str, int]:
    """(error code, message for staff, HTTP status) of a mini-program code WeChat did not make."""
    if exc.kind == "unconfigured":
        return "wechat_not_configured", "尚未配置微信小程序（wechat.appid、wechat.secret），小程序码不能生成", 503
    if exc.kind == "quota":
        return "wechat_quota", f"小程序码生成已达微信接口额度上限（{exc.errcode}），请稍后再试", 429
    if exc.kind == "unavailable":
        return "wechat_unavailable", "微信服务暂时不可用，小程序码暂不能生成，请稍后再试", 503
    return "wechat_error", f"微信拒绝生成小程序码（{exc.errcode} {exc.errmsg}），请检查小程序页面是否已发布", 502


def wxacode(target) -> tuple[bytes, str]:
    """(image bytes, content type) of the target's mini-program code."""
    wx = current_settings().wechat
    scene, page = scene_for(target), wx.rate_page
    cached = WxaCode.cached(scene, page)
    if cached is not None:
        return bytes(cached.image), cached.content_type
    client = get_client()
    body = {
        "scene": scene,
        "page": page,
        "width": 430,
        "check_path": wx.check_path,
        "env_version": wx.env_version,
    }
    res = call(client.post, "wxa/getwxacodeunlimit", data=body, api_base_url=client.base_url)
    content = getattr(res, "content", b"")
    content_type = next((kind for magic, kind in IMAGE_TYPES.items() if content.startswith(magic)), None)
    if content_type is None:
        raise WeChatError("rejected", None, "getwxacodeunlimit did not return an image")
    WxaCode.insert(scene=scene, page=page, image=content, content_type=content_type).on_conflict_ignore().execute()
    return content, content_type
