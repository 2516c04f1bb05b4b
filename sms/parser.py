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

from core.levels import CN_DIGITS
from core.levels import WHOLE_ONLY
from core.levels import found_words
from core.levels import leading_words_level
from core.levels import words_level

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

# "评分：5", "回复:4 很好", "答：3": a prefix and a colon before the answer, in digits or words.
_PREFIX = re.compile(r"^(?:我的)?(?:评分|评价|评级|打分|回复|答复|回答|答|选择)\s*[:：]\s*")
# "我选5", "打5分", "给五星", "评分5": the verb before the answer.
_LEAD = re.compile(r"^(?:我|就)?(?:回复|答复|选择|选|评分|评价|打分|评|打个|打|给个|给你们|给)\s*(?=[1-5一二三四五])")
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
# A number with one of these after it tells a story ("5分钟就办完了"), it is no level.
_STORY_UNITS = r"(?:分钟|个?小时|钟头|天|次|趟|遍|号|点|个|月|年|周)"
_DURATION = re.compile(r"^\d+\s*(?:(?:到|至|-|~|或)\s*\d+\s*)?" + _STORY_UNITS)
# After a rating digit, a number with a unit is part of the comment ("5 10分钟就办完了", "1 3人排队").
_UNITS = r"(?:分钟|个?小时|钟头|天|次|趟|遍|号|点|个|月|年|周|人|位|件|元|块)"
_QUANTITY = re.compile(r"^\d+\s*(?:(?:到|至|-|~|或)\s*\d+\s*)?" + _UNITS)
_CN_SEP_HEAD = re.compile(r"^([一二两三四五壹贰叁肆伍])\s*[,，、;；:：。.!！\s]+(.+)$", re.S)
# "👍5", "👍 4 很快": a thumb, then the digit that answers.
_THUMB_HEAD = re.compile(r"^([👍👎])+\s*(?=[1-5一二三四五])")
# Two candidate levels: "4或5", "3到4", "四或五", "4-5", "4/5", "4、5", "介于4和5": asked back, never
# rated — unless the second number is a quantity ("5 10分钟就办完了", "1到2个小时").
_CANDIDATE = "[1-5一二两三四五壹贰叁肆伍]"
_ALTERNATIVE = re.compile(
    r"^(?:介于|在)?\s*(" + _CANDIDATE + r")\s*(?:分|星|颗星)?\s*"
    r"(?:或者|或是|或|还是|到|至|和|与|跟|/|、|~|-|—|\s)\s*(" + _CANDIDATE + r")"
    r"(?![\d.])(?!\s*(?:[到至\-~]\s*\d|" + _UNITS + "))"
)
# Level words joined as alternatives: "满意或非常满意", "满意到非常满意之间".
_WORD_ALTERNATIVE = re.compile(r"或者|或是|或|还是|到|至|介于|之间")
# Sentence-final particles say nothing: 挺满意的, 太差了.
_PARTICLES = "的了啊吧呀哈呢哦啦嘛"
# Punctuation and symbols people wrap around an answer.
_EDGE = " \t\r\n,.，。、;；:：!！?？~～…·'\"“”‘’「」『』【】[]()（）<>《》-—_*#＃+=/\\|"


@dataclass(frozen=True)
class Reply:
    kind: str  # "rating" | "opt_out" | "unclear" | "ambiguous" (two candidate levels: ask back)
    level: int | None = None
    comment: str | None = None
    key: str | None = None
    candidates: tuple = ()


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


def _is_opt_out(text: str) -> bool:
    compact = re.sub(r"[\s" + re.escape(_EDGE) + "]", "", _PREFIX.sub("", text)).lower()
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
        return Reply(reply.kind, reply.level, reply.comment, key, reply.candidates)
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
    body = _LEAD.sub("", _PREFIX.sub("", body))
    thumb = _THUMB_HEAD.match(body)
    if thumb:
        reply = _parse_level(body[thumb.end() :])
        said = 5 if thumb.group(1) == _THUMBS_UP else 1
        # "👍5", "👍 4 很快": the digit answers; a thumb that contradicts it ("👎5") is asked back.
        return UNCLEAR if reply.kind == "rating" and abs(reply.level - said) > 1 else reply
    if len(set(body)) == 1 and body[0] in WHOLE_ONLY and len(body) <= 5:
        return Reply("rating", level=WHOLE_ONLY[body[0]])  # 好好好, 差差差
    alternative = _ALTERNATIVE.match(body)
    if alternative and not _word_after(body, alternative):
        first, second = (_number(alternative.group(n)) for n in (1, 2))
        if first != second:
            return Reply("ambiguous", candidates=(first, second))
    if _DURATION.match(body):
        return UNCLEAR  # "5分钟就办完了" tells a story, not a level
    digit = _DIGIT_HEAD.match(body)
    if digit:
        level, rest = int(digit.group(1)), digit.group(2)
        return _with_rest(level, rest)
    chinese = _CN_HEAD.match(body) or _CN_SEP_HEAD.match(body)
    if chinese:
        # "五星 …", "五分，…", and a numeral set apart from its comment: "五，服务很好", "三、等太久".
        return _with_rest(CN_DIGITS[chinese.group(1)], chinese.groups()[-1])
    if body in CN_DIGITS and CN_DIGITS[body] <= 5:
        return Reply("rating", level=CN_DIGITS[body])
    if re.search(r"\d", body):
        return UNCLEAR  # 10分, 0, 12345, a phone number: not an answer to "1–5"
    if body in WHOLE_ONLY:
        return Reply("rating", level=WHOLE_ONLY[body])
    text = _without_courtesies(body)
    level, rest, conflict = words_level(text)
    if conflict and _WORD_ALTERNATIVE.search(text):
        found = tuple(sorted({lvl for lvl, _, _ in found_words(text)}, reverse=True))
        if len(found) == 2:
            return Reply("ambiguous", candidates=found)
    if level is None or conflict:
        return UNCLEAR
    # Words beyond the verdict are the citizen's comment, kept whole.
    return Reply("rating", level=level, comment=_clean_comment(body) if _has_words(rest) else None)


def _without_courtesies(text: str) -> str:
    """The text with its courtesies blanked ("不好意思", "好的" …), except where one is part of
    a longer level word: 好了 in 太好了 is praise."""
    words = [(position, position + len(phrase)) for _, phrase, position in found_words(text)]
    for courtesy in _NEUTRAL:
        start = text.find(courtesy)
        while start >= 0:
            end = start + len(courtesy)
            if not any(a <= start and end <= b and b - a > len(courtesy) for a, b in words):
                text = text[:start] + " " * len(courtesy) + text[end:]
            start = text.find(courtesy, end)
    return text


def _word_after(body: str, alternative) -> bool:
    """A Chinese numeral that starts a word is no second candidate: "3 一般", "5 一次办成"."""
    after = body[alternative.end() : alternative.end() + 1]
    return not alternative.group(2).isdigit() and "\u4e00" <= after <= "\u9fff" and after not in "分星颗之吧呢啊呀的了"


def _number(text: str) -> int:
    return int(text) if text.isdigit() else CN_DIGITS[text]


def _with_rest(level: int, rest: str) -> Reply:
    """A level given as a number; the words after it are a comment, unless
    they are a level word that says something else."""
    rest = _strip_decoration(rest)
    if not _has_words(rest):
        return Reply("rating", level=level)
    if re.match(r"^\d", rest) and not _QUANTITY.match(rest):
        return UNCLEAR  # "5 5 5", "1 2": no comment, another number
    head = leading_words_level(rest)
    if head is not None and abs(head - level) > 1:
        # "1 非常满意": the number and the words disagree (some forms count 1 as best).
        return UNCLEAR
    said, remainder, _conflict = words_level(rest)
    if said is not None and not _has_words(remainder) or rest in WHOLE_ONLY:
        return Reply("rating", level=level)  # "5 非常满意": the words only repeat the number
    return Reply("rating", level=level, comment=_clean_comment(rest))


def _has_words(text: str) -> bool:
    return bool(re.sub(r"[\s" + re.escape(_EDGE) + "👍👎★⭐☆🌟" + _PARTICLES + "]", "", text))
