"""Reading what citizens really reply to an invitation.

`parse_reply(text)` turns one SMS into a `Reply`: a rating (level 1..5 and an
optional comment), an opt-out, or unclear. It never guesses: a digit that
contradicts the words next to it ("1 非常满意" — on some forms 1 is best) or
two different level words is unclear, and the bot asks back once.

When the bot has asked "which case?", replies may start with a choice letter
("A", "B5", "b 2 排队太久"); pass the letters on offer as `keys`.
"""

import re
import unicodedata
from dataclasses import dataclass

# Traditional → simplified for the characters that matter here.
_TRADITIONAL = str.maketrans(
    {
        "滿": "满",
        "評": "评",
        "訂": "订",
        "極": "极",
        "與": "与",
        "還": "还",
        "對": "对",
        "讚": "赞",
        "貳": "贰",
        "參": "叁",
        "顆": "颗",
        "錯": "错",
        "請": "请",
        "優": "优",
        "秀": "秀",
        "糟": "糟",
        "慢": "慢",
        "發": "发",
        "別": "别",
        "說": "说",
        "這": "这",
        "麼": "么",
        "應": "应",
        "態": "态",
        "務": "务",
        "難": "难",
        "辦": "办",
        "處": "处",
        "隊": "队",
        "時": "时",
        "們": "们",
        "為": "为",
        "滯": "滞",
        "無": "无",
    }
)

_OFFICIAL = {"非常满意", "满意", "基本满意", "不满意", "非常不满意"}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5}

# Level words, longest first so that 不满意 wins over 满意.
_PHRASES = sorted(
    {
        "非常不满意": 1,
        "很不满意": 1,
        "极不满意": 1,
        "特别不满意": 1,
        "十分不满意": 1,
        "超级不满意": 1,
        "非常差": 1,
        "很差": 1,
        "极差": 1,
        "太差": 1,
        "特别差": 1,
        "差评": 1,
        "差劲": 1,
        "非常不好": 1,
        "很不好": 1,
        "垃圾": 1,
        "糟糕": 1,
        "不满意": 2,
        "不太满意": 2,
        "不是很满意": 2,
        "不怎么满意": 2,
        "不大满意": 2,
        "不满": 2,
        "不好": 2,
        "不太好": 2,
        "不是很好": 2,
        "不怎么好": 2,
        "不怎么样": 2,
        "不够好": 2,
        "不行": 2,
        "不太行": 2,
        "较差": 2,
        "比较差": 2,
        "有点差": 2,
        "基本满意": 3,
        "一般": 3,
        "一般般": 3,
        "很一般": 3,
        "还行": 3,
        "还可以": 3,
        "凑合": 3,
        "差不多": 3,
        "马马虎虎": 3,
        "中评": 3,
        "中等": 3,
        "过得去": 3,
        "满意": 4,
        "比较满意": 4,
        "还算满意": 4,
        "挺满意": 4,
        "还满意": 4,
        "不错": 4,
        "挺好": 4,
        "良好": 4,
        "非常满意": 5,
        "很满意": 5,
        "十分满意": 5,
        "特别满意": 5,
        "超级满意": 5,
        "超满意": 5,
        "相当满意": 5,
        "非常好": 5,
        "很好": 5,
        "特别好": 5,
        "太好了": 5,
        "好评": 5,
        "满分": 5,
        "非常非常满意": 5,
        "优秀": 5,
        "点赞": 5,
    }.items(),
    key=lambda kv: -len(kv[0]),
)

# Single characters only count as the whole answer: 好 in 好慢 is not praise.
_WHOLE_ONLY = {"好": 4, "差": 2, "赞": 5, "可以": 4, "行": 3}
# "我选5", "打5分", "给五星": the verb before the answer.
_LEAD = re.compile(r"^(?:我|就)?(?:回复|选择|选|评价|评|打个|打|给个|给你们|给)\s*(?=[1-5一二三四五])")
# Courtesies that contain level words but say nothing about the service.
_NEUTRAL = ("不好意思", "好的", "好吧", "好嘞", "你好", "您好", "好了")

_OPT_OUT_WHOLE = {"td", "t", "n", "退订", "td退订", "t退订", "退订td", "取消订阅", "拒收"}
_OPT_OUT_PARTS = ("退订", "别再发", "不要再发", "别发了", "不要发了", "拒收")

_STARS = re.compile(r"^[★⭐☆✨🌟]+$")
_THUMBS_UP = "👍"
_THUMBS_DOWN = "👎"
_DIGIT_HEAD = re.compile(r"^([1-5])(?:\.0)?\s*(?:颗星|星级|分|星|级)?(?![\d.])(.*)$", re.S)
_CN_HEAD = re.compile(r"^([一二两三四五壹贰叁肆伍])\s*(颗星|星级|分|星|级)(.*)$", re.S)
_KEY_HEAD = re.compile(r"^([A-Za-z])(?:\s*[#:：.、,，\-]\s*|\s+|(?=[1-5\u4e00-\u9fff])|$)(.*)$", re.S)
_DURATION = re.compile(r"^\d+\s*(分钟|个?小时|钟头|天|次|趟|遍|号|点|个|月|年|周)")
# Sentence-final particles say nothing: 挺满意的, 太差了.
_PARTICLES = "的了啊吧呀哈呢哦啦嘛"
# Punctuation and symbols people wrap around an answer.
_EDGE = " \t\r\n,.，。、;；:：!！?？~～…·'\"“”‘’「」『』【】[]()（）<>《》-—_*#＃+=/\\|"


@dataclass(frozen=True)
class Reply:
    kind: str  # "rating" | "opt_out" | "unclear"
    level: int | None = None
    comment: str | None = None
    key: str | None = None


UNCLEAR = Reply("unclear")


def normalize(text: str) -> str:
    """Full-width to ASCII, traditional to simplified, no control characters."""
    text = unicodedata.normalize("NFKC", text or "").translate(_TRADITIONAL)
    return "".join(ch for ch in text if ch.isprintable() or ch in " \n").strip()


def _strip_decoration(text: str) -> str:
    """Drop emoji and wrapping punctuation (not the meaning-bearing ones: 👍 👎 ★)."""
    kept = []
    for ch in text:
        if ch in (_THUMBS_UP, _THUMBS_DOWN) or ch in "★⭐☆🌟":
            kept.append(ch)
        elif unicodedata.category(ch) in ("So", "Sk", "Cs", "Cf", "Mn", "Me") or ch in "\ufe0f\u200d":
            continue
        else:
            kept.append(ch)
    return "".join(kept).strip(_EDGE)


def _clean_comment(text: str) -> str | None:
    text = text.strip(_EDGE).strip()
    return text or None


def _words_level(text: str) -> tuple[int | None, str, bool]:
    """(level, text without the level words, conflict) for a reply in words."""
    found = []
    rest = text
    position = 0
    while position < len(rest):
        for phrase, level in _PHRASES:
            if rest.startswith(phrase, position):
                found.append((level, phrase))
                rest = rest[:position] + " " + rest[position + len(phrase) :]
                position += 1
                break
        else:
            position += 1
    if not found:
        return None, text, False
    # The level names printed in the invitation outrank everyday words:
    # "服务态度很好，满意" is 满意.
    official = {level for level, phrase in found if phrase in _OFFICIAL}
    levels = official or {level for level, _ in found}
    return found[0][0] if not official else next(iter(official)), rest, len(levels) > 1


def _is_opt_out(text: str) -> bool:
    compact = re.sub(r"[\s" + re.escape(_EDGE) + "]", "", text).lower()
    if compact in _OPT_OUT_WHOLE:
        return True
    return any(part in compact for part in _OPT_OUT_PARTS)


def parse_reply(text: str, keys: frozenset | set = frozenset()) -> Reply:
    raw = normalize(text)
    if not raw:
        return UNCLEAR
    if _is_opt_out(raw):
        return Reply("opt_out")
    body = _strip_decoration(raw)
    key = None
    if keys:
        match = _KEY_HEAD.match(body)
        if match and match.group(1).upper() in keys:
            key, body = match.group(1).upper(), match.group(2).strip(_EDGE)
            if not body:
                return Reply("rating", key=key)  # the level was given before the question
    reply = _parse_level(body)
    if key is not None:
        return Reply(reply.kind, reply.level, reply.comment, key)
    return reply


def _parse_level(body: str) -> Reply:
    if not body:
        return UNCLEAR
    if _STARS.match(body):
        return Reply("rating", level=len(body)) if len(body) <= 5 else UNCLEAR
    if set(body) == {_THUMBS_UP}:
        return Reply("rating", level=5)
    if set(body) == {_THUMBS_DOWN}:
        return Reply("rating", level=1)
    body = _LEAD.sub("", body)
    if len(set(body)) == 1 and body[0] in _WHOLE_ONLY and len(body) <= 5:
        return Reply("rating", level=_WHOLE_ONLY[body[0]])  # 好好好, 差差差
    if _DURATION.match(body):
        return UNCLEAR  # "5分钟就办完了" tells a story, not a level
    digit = _DIGIT_HEAD.match(body)
    if digit:
        level, rest = int(digit.group(1)), digit.group(2)
        return _with_rest(level, rest)
    chinese = _CN_HEAD.match(body)
    if chinese:
        return _with_rest(_CN_DIGITS[chinese.group(1)], chinese.group(3))
    if body in _CN_DIGITS and _CN_DIGITS[body] <= 5:
        return Reply("rating", level=_CN_DIGITS[body])
    if re.search(r"\d", body):
        return UNCLEAR  # 10分, 0, 12345, a phone number: not an answer to "1–5"
    if body in _WHOLE_ONLY:
        return Reply("rating", level=_WHOLE_ONLY[body])
    text = body
    for courtesy in _NEUTRAL:
        text = text.replace(courtesy, " ")
    level, rest, conflict = _words_level(text)
    if level is None or conflict:
        return UNCLEAR
    # Words beyond the verdict are the citizen's comment, kept whole.
    return Reply("rating", level=level, comment=_clean_comment(body) if _has_words(rest) else None)


def _with_rest(level: int, rest: str) -> Reply:
    """A level given as a number; the words after it are a comment, unless
    they are a level word that says something else."""
    rest = _strip_decoration(rest)
    if not _has_words(rest):
        return Reply("rating", level=level)
    if re.match(r"^\d", rest):
        return UNCLEAR
    head = next((lvl for phrase, lvl in _PHRASES if rest.startswith(phrase)), _WHOLE_ONLY.get(rest))
    if head is not None and abs(head - level) > 1:
        # "1 非常满意": the number and the words disagree (some forms count 1 as best).
        return UNCLEAR
    words_level, remainder, _conflict = _words_level(rest)
    if words_level is not None and not _has_words(remainder) or rest in _WHOLE_ONLY:
        return Reply("rating", level=level)  # "5 非常满意": the words only repeat the number
    return Reply("rating", level=level, comment=_clean_comment(rest))


def _has_words(text: str) -> bool:
    return bool(re.sub(r"[\s" + re.escape(_EDGE) + "👍👎★⭐☆🌟" + _PARTICLES + "]", "", text))
