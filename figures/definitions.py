"""Every figure, defined once: what it counts, its formula in words, and the arithmetic.

The dashboard, the monthly and 考核 xlsx, the public page and the open data all
take a figure's name and formula from `catalogue()` (shown as a tooltip and a
footnote) and compute its rate with the functions below, so that one figure can
never mean two things in two places. The counts come from `figures.ratings`
(rating counts: first ratings only) and `figures.rectification` (差评 tickets:
first ratings and 追评 alike, because every 差评 opens a ticket).

Words: a *first rating* (首次评价) is the one rating of a case, or an on-site rating
without a case; an *addendum* (追评) is the citizen's second word on the same case
and never enters the rating counts; a rating is *counted* unless an approved appeal
or a fraud review excluded it; an *active* rating is one the citizen gave, i.e. not
a 系统默认评价 (channel "default").
"""

from dataclasses import dataclass

from core.config import current_settings

LEVELS = (5, 4, 3, 2, 1)
BAD_LEVELS = (2, 1)


@dataclass(frozen=True)
class Figure:
    key: str
    name: str
    counts: str  # what is counted, in a few words
    formula: str

    @property
    def note(self) -> str:
        return f"{self.name} = {self.formula}"


def good_levels() -> tuple[int, ...]:
    """The levels that are 好评: 5, 4 and 3 (the seed), or 5 and 4 (`figures.good_includes_basic = false`)."""
    return (5, 4, 3) if current_settings().figures.good_includes_basic else (5, 4)


def rate(part, whole) -> float | None:
    """A percentage with two decimals, None when the denominator is 0."""
    return round(100.0 * part / whole, 2) if whole else None


def tally(levels: dict, default_levels: dict | None = None) -> dict:
    """The rating counts from {level: n} of counted first ratings, and {level: n} of those
    among them that are system default ratings."""
    default_levels = default_levels or {}
    good = good_levels()
    row = {f"l{lv}": int(levels.get(lv, 0)) for lv in LEVELS}
    row["rated"] = sum(row[f"l{lv}"] for lv in LEVELS)
    row["good"] = sum(row[f"l{lv}"] for lv in good)
    row["basic"] = row["l3"]
    row["bad"] = row["l2"] + row["l1"]
    row["default_rated"] = sum(int(n) for n in default_levels.values())
    row["active_rated"] = row["rated"] - row["default_rated"]
    row["active_good"] = row["good"] - sum(int(default_levels.get(lv, 0)) for lv in good)
    return row


def rating_rates(counts: dict) -> dict:
    """好评率, 差评率, 主动评价好评率 from `tally()` counts; 未评率 and 参评率 when the case
    counts (completed, unrated) are there."""
    rates = {
        "good_rate": rate(counts["good"], counts["rated"]),
        "bad_rate": rate(counts["bad"], counts["rated"]),
        "active_good_rate": rate(counts["active_good"], counts["active_rated"]),
    }
    if "completed" in counts:
        unrated_rate = rate(counts["unrated"], counts["completed"])
        rates["unrated_rate"] = unrated_rate
        rates["participation_rate"] = None if unrated_rate is None else round(100.0 - unrated_rate, 2)
    return rates


def catalogue() -> dict[str, Figure]:
    """Every figure by key, its formula under the current settings."""
    settings = current_settings()
    good = "非常满意＋满意＋基本满意" if settings.figures.good_includes_basic else "非常满意＋满意（不含基本满意）"
    satisfied = "满意＋基本满意" if settings.rectification.basically_satisfied_counts else "满意"
    weights = settings.assessment.weights
    figures = [
        Figure(
            "rated",
            "评价数",
            "首次评价",
            "有效首次评价条数（每件办件一次，另含无办件的现场评价；不含追评，经申诉或刷评审核剔除的不计）",
        ),
        Figure("good", "好评数", "首次评价", f"评价数中{good}的条数"),
        Figure("good_rate", "好评率", "首次评价", f"（{good}）÷ 评价数 × 100%"),
        Figure("bad", "差评数", "首次评价", "评价数中不满意＋非常不满意的条数（不含追评）"),
        Figure("bad_rate", "差评率", "首次评价", "（不满意＋非常不满意）÷ 评价数 × 100%"),
        Figure(
            "active_good_rate",
            "主动评价好评率",
            "首次评价",
            "群众主动评价中的好评数 ÷ 主动评价数 × 100%（主动评价不含系统默认评价）",
        ),
        Figure(
            "unrated_rate",
            "未评率",
            "办件",
            "本期办结而无主动首次评价的件数 ÷ 本期办结件数 × 100%（按办结时间计；仅有系统默认评价的办件计为未评）",
        ),
        Figure("participation_rate", "参评率", "办件", "100% − 未评率"),
        Figure("addenda", "追评数", "追评", "群众对已评价办件的第二次评价（追评），不计入评价数、好评率、差评率"),
        Figure(
            "tickets",
            "差评工单数",
            "首次评价与追评",
            "本期有效差评所开工单数：首次评价与追评中的不满意、非常不满意各开一张工单",
        ),
        Figure("reply_rate", "差评回复率", "差评工单", "已答复群众的差评工单 ÷ 差评工单数 × 100%"),
        Figure(
            "followup_rate",
            "回访整改率",
            "差评工单",
            "已取得回访结果（满意、基本满意、不满意）的差评工单 ÷ 差评工单数 × 100%（无法回访不计）",
        ),
        Figure(
            "followup_satisfied_rate",
            "回访整改满意率",
            "差评工单",
            f"回访结果为{satisfied}的工单 ÷ 已取得回访结果的工单 × 100%",
        ),
        Figure(
            "on_time_rate",
            "按期整改率",
            "差评工单",
            "在整改期限内办结（整改、当场解决、解释说明）的工单 ÷（已办结工单＋超期未办结工单）× 100%",
        ),
        Figure("overdue", "超期未整改", "差评工单", "统计时已超过整改期限仍未办结的工单数"),
        Figure(
            "score",
            "考核得分",
            "单位",
            "Σ 权重 × 指标(%) ÷ 100 − 超期扣分；权重："
            + "、".join(f"{ASSESSMENT_NAMES[k]} {w}" for k, w in weights.items())
            + f"；每张超期工单扣 {settings.assessment.overdue_penalty} 分，"
            + f"最多扣 {settings.assessment.overdue_penalty_max} 分",
        ),
        Figure(
            "labels", "问题标签次数", "首次评价与追评", "本期有效评价中基本满意及以下等级所选各标签的次数，与上月比较"
        ),
        Figure(
            "terms",
            "评论高频词",
            "首次评价与追评",
            "基本满意及以下评价的文字评价经中文分词、去除停用词与人名后，出现该词的评论条数",
        ),
    ]
    return {f.key: f for f in figures}


ASSESSMENT_NAMES = {
    "good_rate": "好评率",
    "participation_rate": "参评率",
    "reply_rate": "差评回复率",
    "followup_rate": "回访整改率",
    "followup_satisfied_rate": "回访整改满意率",
    "on_time_rate": "按期整改率",
}


def notes(*keys: str) -> list[str]:
    """ "名称 = 公式" lines for a footnote, in the order asked."""
    table = catalogue()
    return [table[key].note for key in keys]
