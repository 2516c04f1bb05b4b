"""The mini-program API (`/api/wx`): login, what is being rated, rate, my ratings,
and the subscribe-message acceptances the mini program reports."""

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request

from core.errors import error
from edge.json import addendum_flag
from edge.json import json_body
from edge.limits import client_ip
from models import WxUser
from ratings import context
from ratings.core import RatingRequest
from ratings.core import submit_rating

from . import mine
from . import subscriptions
from .client import WeChatError
from .client import call
from .client import get_client
from .session import issue
from .session import require_wx_user
from .session import ttl_seconds

bp = Blueprint("wx", __name__, url_prefix="/api/wx")


def rater_ref() -> str:
    return f"wx:{g.openid}"


@bp.post("/login")
def login():
    body = json_body()
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not 0 < len(code) <= 128:
        error("invalid_code", "缺少登录凭证 code（wx.login 获得）", 422)
    try:
        session = call(get_client().wxa.code_to_session, code)
    except WeChatError as exc:
        raise_wechat(exc, login=True)
    openid = session.get("openid")
    if not isinstance(openid, str) or not openid:
        error("wechat_error", "微信登录返回异常，请稍后再试", 502)
    WxUser.login(openid, session.get("unionid"), session.get("session_key") or "")
    return jsonify({"token": issue(openid), "expires_in": ttl_seconds()})


@bp.get("/rating-context")
@require_wx_user
def rating_context():
    kind, target = _target(request.args.get("code"), request.args.get("scene"))
    body = context.levels()
    if kind == "case":
        body.update(
            target=context.describe_case(target),
            already_rated=context.rated(target),
            expired=context.case_expired(target),
            ratings_left_today=None,
        )
    else:
        window, staff = target
        left = context.onsite_left(rater_ref(), window)
        body.update(
            target=context.describe_onsite(window, staff),
            already_rated=left == 0,
            expired=False,
            ratings_left_today=left,
        )
    return jsonify(body)


@bp.post("/ratings")
@require_wx_user
def post_rating():
    body = json_body()
    if not isinstance(body, dict):
        error("invalid_body", "评价必须是 JSON 对象", 422)
    kind, target = _target(body.get("code"), body.get("scene"))
    targets = {"case": target} if kind == "case" else {"window": target[0], "staff": target[1]}
    req = RatingRequest(
        level=body.get("level"),
        channel="wechat",
        labels=body.get("labels"),
        comment=body.get("comment"),
        addendum=addendum_flag(body),
        rater_ref=rater_ref(),
        client_ip=client_ip(),
        **targets,
    )
    result = submit_rating(req).to_dict()
    if result["is_bad"]:
        # What to pass to wx.requestSubscribeMessage, so the reply can reach the citizen.
        result["subscribe_templates"] = list(subscriptions.templates().values())
    return jsonify(result), 201


@bp.get("/ratings/mine")
@require_wx_user
def my_ratings():
    return jsonify({"ratings": mine.ratings_of(rater_ref())})


@bp.get("/subscriptions")
@require_wx_user
def get_subscriptions():
    return jsonify(subscriptions.state(g.openid))


@bp.post("/subscriptions")
@require_wx_user
def post_subscriptions():
    """Body: what wx.requestSubscribeMessage returned, `{"<tmplId>": "accept"|"reject"|"ban"|"filter", …}`."""
    body = json_body()
    if not isinstance(body, dict):
        error("invalid_body", "请提交 wx.requestSubscribeMessage 的结果对象", 422)
    subscriptions.record(g.openid, body)
    return jsonify(subscriptions.state(g.openid))


def _target(code, scene):
    if (code is None) == (scene is None):
        error("missing_target", "请提供评价码 code 或二维码场景值 scene（二选一）", 422)
    found = context.target_from(code=code, scene=scene)
    if found is None:
        if code is not None:
            error("unknown_code", "评价码不存在，请核对短信中的链接", 404)
        error("unknown_scene", "二维码无效或窗口已停用", 404)
    return found


def raise_wechat(exc: WeChatError, login: bool = False):
    """A WeChat failure as the contract's error: bad code 400, quota 429, down 503."""
    if exc.kind == "unconfigured":
        error("wechat_not_configured", "本系统尚未配置微信小程序（wechat.appid、secret），暂不能使用微信评价", 503)
    if login and exc.errcode in (40029, 40163):
        error("invalid_code", "登录凭证无效或已使用，请重新调用 wx.login", 400)
    if login and exc.errcode == 40226:
        error("wechat_user_blocked", "微信判定该账号存在风险，暂时无法登录", 403)
    if exc.kind == "quota":
        error("wechat_quota", f"微信接口调用已达频率或额度上限（{exc.errcode}），请稍后再试", 429)
    if exc.kind == "unavailable":
        error("wechat_unavailable", "微信服务暂时不可用，请稍后再试", 503)
    current_app.logger.error("WeChat rejected a call: %s %s", exc.errcode, exc.errmsg)
    error("wechat_error", f"微信接口返回错误（{exc.errcode}）", 502)
