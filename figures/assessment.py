"""考核: a score per unit and month for 区营商办's business-environment assessment.

    score = Σ weight_i × indicator_i ÷ Σ weight_i (over the indicators that apply) − deduction

- indicators, in percent, are the month's figures (`figures.definitions`): 好评率,
  参评率 (= 100 − 未评率), 差评回复率, 回访整改率, 回访整改满意率, 按期整改率; the weights
  are `[assessment.weights]` (whole numbers adding up to 100), so with every
  indicator present the score is Σ weight × indicator ÷ 100;
- a unit without any 差评 ticket in the month scores the four rectification
  indicators in full (nothing to rectify); an indicator whose denominator is 0
  otherwise (no completed case; no 回访 yet; nothing resolved or overdue yet) is
  left out and the remaining weights count in proportion;
- deduction: `overdue_penalty` points per 差评 ticket past its deadline unresolved,
  at most `overdue_penalty_max`; the score is never below 0;
- a unit without ratings has no score; a unit with fewer than
  `figures.min_ranking_sample` ratings has a score but no rank (样本不足).
"""

from core.config import current_settings

from .definitions import ASSESSMENT_NAMES
from .definitions import notes
from .xlsx import new_workbook
from .xlsx import to_bytes
from .xlsx import write_sheet

RECTIFICATION = ("reply_rate", "followup_rate", "followup_satisfied_rate", "on_time_rate")
SOURCE = {
    "good_rate": ("row", "good_rate"),
    "participation_rate": ("row", "participation_rate"),
    "reply_rate": ("rect", "reply_rate"),
    "followup_rate": ("rect", "followup_rate"),
    "followup_satisfied_rate": ("rect", "followup_satisfaction_rate"),
    "on_time_rate": ("rect", "on_time_rate"),
}


def indicators(row: dict) -> dict:
    """{indicator: percent or None} of one unit row (`figures.published.unit_rows`)."""
    values = {}
    for key, (where, name) in SOURCE.items():
        values[key] = row[name] if where == "row" else row["rect"][name]
        if key in RECTIFICATION and not row["rect"]["bad"]:
            values[key] = 100.0  # no 差评: nothing to rectify
    return values


def score(row: dict) -> dict:
    """The unit's score, its parts and its deduction (see the module docstring)."""
    rules = current_settings().assessment
    values = indicators(row)
    if not row["rated"]:
        return {"indicators": values, "points": {}, "deduction": 0.0, "score": None}
    used = {key: w for key, w in rules.weights.items() if values.get(key) is not None and w}
    total_weight = sum(used.values())
    points = {key: round(w * values[key] / total_weight, 2) for key, w in used.items()} if total_weight else {}
    deduction = float(min(rules.overdue_penalty * row["rect"]["overdue"], rules.overdue_penalty_max))
    raw = sum(w * values[key] for key, w in used.items()) / total_weight if total_weight else 0.0
    return {
        "indicators": values,
        "points": points,
        "deduction": deduction,
        "score": round(max(raw - deduction, 0.0), 2),
    }


def ranking(rows: list[dict]) -> dict:
    """{"rows": ranked units, "unranked": scored units under the minimum sample, "unscored": no ratings}."""
    min_sample = current_settings().figures.min_ranking_sample
    ranked, unranked, unscored = [], [], []
    for row in rows:
        entry = {"code": row["code"], "name": row["name"], "kind": row["kind"], "rated": row["rated"], **score(row)}
        entry["good_rate"], entry["overdue"] = row["good_rate"], row["rect"]["overdue"]
        if entry["score"] is None:
            unscored.append(entry)
        elif row["rated"] >= min_sample:
            ranked.append(entry)
        else:
            unranked.append(entry)
    ranked.sort(key=lambda e: (-e["score"], -(e["good_rate"] or 0), -e["rated"], e["name"]))
    for position, entry in enumerate(ranked, 1):
        entry["rank"] = position
    unranked.sort(key=lambda e: (-e["rated"], e["name"]))
    return {"rows": ranked, "unranked": unranked, "unscored": unscored, "min_sample": min_sample}


def rules_text() -> list[str]:
    """The scoring rules, as lines for the page and the xlsx."""
    rules = current_settings().assessment
    lines = notes("score")
    lines += [f"{ASSESSMENT_NAMES[key]}：权重 {w}" for key, w in rules.weights.items()]
    lines += [
        "无差评工单的单位，差评回复率、回访整改率、回访整改满意率、按期整改率按满分计；"
        "其他指标分母为 0 时不计入，其余权重按比例折算为 100。",
        f"评价数少于 {current_settings().figures.min_ranking_sample} 条的单位计算得分但不参与排名（样本不足）；"
        "无评价的单位不计分。",
    ]
    lines += notes("good_rate", "participation_rate", "unrated_rate", "reply_rate", "followup_rate")
    lines += notes("followup_satisfied_rate", "on_time_rate", "overdue")
    return lines


HEADER = (
    ["名次", "单位", "评价数"] + [ASSESSMENT_NAMES[k] + "(%)" for k in SOURCE] + ["超期工单", "扣分", "得分", "备注"]
)


def _line(entry: dict, note: str) -> list:
    values = [entry["indicators"][k] if entry["indicators"][k] is not None else "—" for k in SOURCE]
    score_value = entry["score"] if entry["score"] is not None else "—"
    return [
        entry.get("rank", "—"),
        entry["name"],
        entry["rated"],
        *values,
        entry["overdue"],
        entry["deduction"],
        score_value,
        note,
    ]


def build_xlsx(month: str, result: dict, stamp: str) -> bytes:
    """The 考核 workbook for 区营商办: the scores and, on a second sheet, the rules."""
    wb = new_workbook()
    ws = wb.active
    ws.title = "考核得分"
    lines = [_line(e, "") for e in result["rows"]]
    lines += [_line(e, f"样本不足（少于 {result['min_sample']} 条），不参与排名") for e in result["unranked"]]
    lines += [_line(e, "本月无评价，不计分") for e in result["unscored"]]
    title = f"鄠邑区政务服务“好差评”考核得分（{month[:4]}年{month[5:]}月）"
    write_sheet(ws, title, HEADER, lines, stamp)
    write_sheet(wb.create_sheet("评分规则"), "评分规则与指标口径", ["说明"], [[line] for line in rules_text()])
    return to_bytes(wb)
