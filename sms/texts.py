"""What the bot says. The invitation and reminder texts mirror the templates
approved on Aliyun (see config.example.toml): the link prefix is fixed text,
only the rating code is a variable, because Aliyun refuses URLs in variables."""

from core.config import current_settings
from core.levels import LEVEL_MENU
from models import LEVEL_NAMES

INVITE = (
    "您在${dept}办理的“${item}”已办结，请回复数字评价：" + LEVEL_MENU + "；也可打开 {base}/r/${code} 评价。回TD退订"
)
REMINDER = "您办理的“${item}”尚未评价，回复数字1-5即可评价（" + LEVEL_MENU + "），或打开 {base}/r/${code} 。回TD退订"
MESSAGE = "${content}"

# Aliyun limits an ordinary variable to 35 characters.
VARIABLE_MAX = 35


def short(value: str, limit: int = 20) -> str:
    value = (value or "").strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def render(template: str, params: dict) -> str:
    base = current_settings().app.base_url.rstrip("/")
    text = template.replace("{base}", base)
    for name, value in params.items():
        text = text.replace("${" + name + "}", value)
    return text


UNCLEAR = "抱歉，未能识别您的回复。请回复一个数字评价：" + LEVEL_MENU + "。"


def ambiguous(candidates: tuple) -> str:
    """Two candidate levels ("4或5"): asked back, never rated."""
    named = "还是".join(f"“{level}{LEVEL_NAMES[level]}”" for level in candidates)
    return f"您的回复中有两个评价等级，请确认是{named}？请只回复一个数字：" + LEVEL_MENU + "。"


def choose(choices: list[tuple[str, str]], level: int | None) -> str:
    listing = "；".join(f"{key} {label}" for key, label in choices)
    if level is not None:
        return f"您有{len(choices)}件办件待评价，您的“{level}分”是评价哪一件？请回复字母：{listing}。"
    return f"您有{len(choices)}件办件待评价：{listing}。请回复字母加评分，如“{choices[0][0]}5”。"


def thanks(level: int) -> str:
    return f"感谢您的评价（{LEVEL_NAMES[level]}），我们将继续改进政务服务。"


def bad_review_ack(level: int, dept: str, due_text: str) -> str:
    return (
        f"您的评价（{LEVEL_NAMES[level]}）已收到，{dept}将于{due_text}前与您联系并反馈整改情况。"
        "如方便，请直接回复您不满意的原因。"
    )


def reason_received(dept: str) -> str:
    return f"您反映的情况已记录并转交{dept}，感谢您的监督。"


ALREADY_RATED = "该办件已经评价过了，感谢您的参与。"
EXPIRED = "该办件的评价期限已过，无法再评价。感谢您对政务服务的关注，如有意见可拨打12345反映。"
