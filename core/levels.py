"""The five levels of every scale a citizen answers — 5 is always the best — and the
words citizens use for them.

One table for every reader of a citizen's words: the rating SMS parser
(`sms/parser.py`) and the 回访 answer parser (`rectification/followup.py`) both
read levels here, so that a number or a word means the same level in both, and
the 回访 SMS asks with the same numbers and words as the rating SMS
(`LEVEL_MENU`). GB/T 39046 numbers the levels the other way; that is converted
at the city boundary (`upstream.satisfaction_order`), never towards citizens.
"""

LEVEL_NAMES = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
# As the invitation prints it, best first: "5非常满意 4满意 3基本满意 2不满意 1非常不满意".
LEVEL_MENU = " ".join(f"{level}{LEVEL_NAMES[level]}" for level in (5, 4, 3, 2, 1))
# The level names printed in the SMS outrank everyday words ("服务态度很好，满意" is 满意).
OFFICIAL = frozenset(LEVEL_NAMES.values())

CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5}

# Level words, longest first so that 不满意 wins over 满意.
LEVEL_WORDS = sorted(
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
WHOLE_ONLY = {"好": 4, "差": 2, "赞": 5, "可以": 4, "行": 3}


def found_words(text: str) -> list[tuple[int, str, int]]:
    """The level words in `text`, in order, each (level, phrase, position); the longest word
    wins where words overlap (不满意, not 满意)."""
    found = []
    position = 0
    while position < len(text):
        for phrase, level in LEVEL_WORDS:
            if text.startswith(phrase, position):
                found.append((level, phrase, position))
                position += len(phrase)
                break
        else:
            position += 1
    return found


def words_level(text: str) -> tuple[int | None, str, bool]:
    """(level, text without the level words, conflict) of a reply in words: the level the
    words name (an official name outranks everyday words), or None; `conflict` when they
    name more than one."""
    found = found_words(text)
    if not found:
        return None, text, False
    rest = text
    for _level, phrase, position in reversed(found):
        rest = rest[:position] + " " + rest[position + len(phrase) :]
    official = {level for level, phrase, _ in found if phrase in OFFICIAL}
    levels = official or {level for level, _, _ in found}
    return found[0][0] if not official else next(iter(official)), rest, len(levels) > 1


def leading_words_level(text: str) -> int | None:
    """The level of the level word `text` starts with, or None."""
    return next((level for phrase, level in LEVEL_WORDS if text.startswith(phrase)), WHOLE_ONLY.get(text))
