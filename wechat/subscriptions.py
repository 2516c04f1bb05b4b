"""Subscribe-message acceptances (订阅消息) as the mini program reports them.

The mini program calls wx.requestSubscribeMessage({tmplIds}) when a citizen
gives a bad review and posts the result object to `POST /api/wx/subscriptions`
unchanged: `{"<tmplId>": "accept" | "reject" | "ban" | "filter", "errMsg": …}`.
Each "accept" allows one message of that template, so acceptances add up;
"reject" and "ban" clear them. Keys that are not our templates are ignored.
"""

from core import clock
from core.config import current_settings
from core.errors import error
from models import WxSubscription
from models import db

from .client import effective

VERDICTS = ("accept", "reject", "ban", "filter")
MAX_PENDING = 10


def templates() -> dict:
    """The templates the mini program should ask for, by purpose."""
    template = effective(current_settings())["reply_template"]
    return {"reply": template} if template else {}


def record(openid: str, result: dict) -> None:
    ours = set(templates().values())
    verdicts = {key: value for key, value in result.items() if key in ours}
    for key, value in verdicts.items():
        if value not in VERDICTS:
            error("invalid_subscription", f"模板 {key} 的结果必须是 {' / '.join(VERDICTS)} 之一", 422)
    now = clock.now()
    with db.atomic():
        for template_id, verdict in verdicts.items():
            row = WxSubscription.find(openid, template_id)
            if row is None:
                row = WxSubscription(openid=openid, template_id=template_id, remaining=0)
            if verdict == "accept":
                row.remaining = min(MAX_PENDING, row.remaining + 1)
            elif verdict in ("reject", "ban"):
                row.remaining = 0
            row.updated_at = now
            row.save()


def state(openid: str) -> dict:
    found = {row.template_id: row.remaining for row in WxSubscription.select().where(WxSubscription.openid == openid)}
    return {
        "templates": templates(),
        "subscriptions": [
            {"purpose": purpose, "template_id": template_id, "remaining": found.get(template_id, 0)}
            for purpose, template_id in templates().items()
        ],
    }
