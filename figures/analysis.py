"""What citizens keep complaining about (seed: 反映集中的问题): label counts and comment terms.

The population is the counted ratings (first ratings and 追评 alike: both are the
citizen's words) of level 3 (基本满意) and below in the period, over their partial
index (migration 0021):

- labels: how often each label was chosen, per unit and item, beside the same
  count for the period before (the month before, for a month) and the change;
- terms: the comments cut into words by jieba (part-of-speech tagging), without
  the stop words of `data/stopwords.txt`, one-character tokens, numbers and person
  names; each term counted once per comment, the most frequent first, with a few
  example comments. Examples never carry personal data: person names (jieba's
  `nr` tags that start with a common surname, and the staff names of the master
  data), phone, ID and other long numbers are masked before anything leaves
  this module.
"""

import datetime as dt
import logging
import os
import re
import threading
import warnings
from collections import Counter

from peewee import fn

from core.cache import TtlCache
from core.config import current_settings
from models import Department
from models import Item
from models import Label
from models import Rating
from models import Staff

TOP_TERMS = 20
TOP_TERMS_PER_UNIT = 8
EXAMPLES = 3
_NAME_FLAGS = ("nr", "nrfg", "nrt")
# jieba's HMM also tags some ordinary words as names ("多窗口"); a tagged word counts as a
# person's name when it starts with one of the common surnames (they cover most people).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "上官",
    "司马",
    "诸葛",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "夏侯",
    "尉迟",
    "长孙",
    "宇文",
    "公孙",
    "司徒",
)
# Content words only: nouns, verbs, adjectives, idioms, set phrases, abbreviations.
_TERM_FLAGS = ("n", "v", "a", "i", "l", "j")
_LONG_NUMBER = re.compile(r"\d[\d\s\-]{5,}\d")
_NOT_A_TERM = re.compile(r"^[\W\d_a-zA-Z]+$")
_STOPWORDS_FILE = os.path.join(os.path.dirname(__file__), "data", "stopwords.txt")
_lock = threading.Lock()
_state: dict = {}


def _jieba():
    """jieba's part-of-speech cutter, loaded once per process (its dictionary takes a moment)."""
    with _lock:
        if "posseg" not in _state:
            with warnings.catch_warnings():
                # jieba 0.42 reads its dictionary through pkg_resources, deprecated in newer setuptools.
                warnings.simplefilter("ignore")
                import jieba
                import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _state["posseg"] = jieba.posseg
        return _state["posseg"]


def stopwords() -> frozenset:
    if "stopwords" not in _state:
        with open(_STOPWORDS_FILE, encoding="utf-8") as fh:
            words = {line.strip() for line in fh if line.strip() and not line.startswith("#")}
        _state["stopwords"] = frozenset(words)
    return _state["stopwords"]


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _low(start: dt.date, end: dt.date, department_id):
    cond = (Rating.level <= 3) & ~Rating.excluded & (Rating.created_at >= _at(start)) & (Rating.created_at < _at(end))
    if department_id is not None:
        cond &= Rating.department == department_id
    return cond


def label_counts(start: dt.date, end: dt.date, department_id: int | None = None) -> dict:
    """{"rows": per (unit, item, label), "by_label": per label}, each with count, previous and change;
    the most frequent first (a label chosen only in the period before is listed with count 0)."""
    before = start - (end - start) if (end - start).days > 31 else _month_before(start)
    query = Rating.select(Rating.department, Rating.item, Rating.labels, Rating.created_at >= _at(start)).where(
        _low(before, end, department_id) & (Rating.labels != "")
    )
    current, previous = Counter(), Counter()
    for dept, item, labels, is_current in query.tuples():
        target = current if is_current in (True, 1) else previous
        for code in labels.split(","):
            if code:
                target[(dept, item, code)] += 1
    texts = _label_texts({key[2] for key in current} | {key[2] for key in previous})
    names = _names(Department, {k[0] for k in current | previous})
    items = _names(Item, {k[1] for k in current | previous if k[1] is not None})
    rows = []
    for key in sorted(set(current) | set(previous), key=lambda k: (-current[k], -previous[k], k[2])):
        dept, item, code = key
        rows.append(
            {
                "department": names.get(dept, "—"),
                "item": items.get(item, "（无办件的现场评价）"),
                "code": code,
                "text": texts.get(code, code),
                "count": current[key],
                "previous": previous[key],
                "change": current[key] - previous[key],
            }
        )
    by_label: dict = {}
    for row in rows:
        entry = by_label.setdefault(row["code"], {"code": row["code"], "text": row["text"], "count": 0, "previous": 0})
        entry["count"] += row["count"]
        entry["previous"] += row["previous"]
    totals = sorted(by_label.values(), key=lambda e: (-e["count"], -e["previous"], e["code"]))
    for entry in totals:
        entry["change"] = entry["count"] - entry["previous"]
    return {"rows": rows, "by_label": totals}


def _month_before(start: dt.date) -> dt.date:
    return (start.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _label_texts(codes: set) -> dict:
    if not codes:
        return {}
    texts = {}
    for code, text in (
        Label.select(Label.code, Label.text).where(Label.code.in_(list(codes))).order_by(Label.id).tuples()
    ):
        texts[code] = text  # the newest version's text wins
    return texts


def _names(model, ids: set) -> dict:
    if not ids:
        return {}
    return dict(model.select(model.id, model.name).where(model.id.in_(list(ids))).tuples())


def comment_terms(start: dt.date, end: dt.date, department_id: int | None = None) -> dict:
    """{"terms": district (or the unit's) top terms, "by_unit": {unit name: top terms}, "comments": n}."""
    limit = current_settings().figures.analysis_max_comments
    query = (
        Rating.select(Rating.department, Rating.comment)
        .where(_low(start, end, department_id) & Rating.comment.is_null(False) & (fn.LENGTH(Rating.comment) > 1))
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .limit(limit)
    )
    comments = list(query.tuples())
    staff_names = _staff_names()
    overall, by_dept = _Tally(), {}
    for dept, text in comments:
        terms, scrubbed = cut(text, staff_names)
        overall.add(terms, scrubbed)
        by_dept.setdefault(dept, _Tally()).add(terms, scrubbed)
    names = _names(Department, set(by_dept))
    return {
        "comments": len(comments),
        "terms": overall.top(TOP_TERMS),
        "by_unit": {names.get(d, "—"): t.top(TOP_TERMS_PER_UNIT) for d, t in sorted(by_dept.items())},
        "unit_comments": {names.get(d, "—"): t.comments for d, t in sorted(by_dept.items())},
    }


class _Tally:
    def __init__(self):
        self.counts = Counter()
        self.examples: dict = {}
        self.comments = 0

    def add(self, terms: set, scrubbed: str) -> None:
        self.comments += 1
        for term in terms:
            self.counts[term] += 1
            found = self.examples.setdefault(term, [])
            if len(found) < EXAMPLES and scrubbed not in found:
                found.append(scrubbed)

    def top(self, n: int) -> list[dict]:
        ranked = sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
        return [{"term": term, "count": count, "examples": self.examples[term]} for term, count in ranked]


def _staff_names() -> frozenset:
    return frozenset(name for (name,) in Staff.select(Staff.name).tuples() if name and len(name) >= 2)


def cut(text: str, staff_names: frozenset = frozenset()) -> tuple[set, str]:
    """(the comment's terms, the comment with personal data masked)."""
    text = _LONG_NUMBER.sub("***", text.strip())
    for name in staff_names:
        if name in text:
            text = text.replace(name, "*" * len(name))
    words = stopwords()
    terms, parts = set(), []
    for pair in _jieba().cut(text):
        word, flag = pair.word, pair.flag
        if flag in _NAME_FLAGS:
            if parts and parts[-1] in COMPOUND_SURNAMES:  # 欧阳 + 娜娜
                parts[-1] = "*" * len(parts[-1])
                parts.append("*" * len(word))
            elif 2 <= len(word) <= 4 and (word[0] in SURNAMES or word.startswith(COMPOUND_SURNAMES)):
                parts.append("*" * len(word))
            else:
                parts.append(word)
            continue  # a name, or a word jieba took for one: never a term
        parts.append(word)
        if (
            len(word) >= 2
            and flag.startswith(_TERM_FLAGS)
            and word not in words
            and word not in COMPOUND_SURNAMES
            and not _NOT_A_TERM.match(word)
            and "*" not in word
        ):
            terms.add(word)
    return terms, "".join(parts)


def analyse(start: dt.date, end: dt.date, department_id: int | None = None) -> dict:
    """Both analyses of one period and scope (the monthly report, the dashboard, the analysis page)."""
    return {"labels": label_counts(start, end, department_id), "terms": comment_terms(start, end, department_id)}


_recent = TtlCache(120, size=64)


def analyse_recent(start: dt.date, end: dt.date, department_id: int | None = None) -> dict:
    """`analyse`, kept two minutes per period and scope: the dashboard asks on every load."""
    key = (start, end, department_id)
    found = _recent.get(key)
    if found is None:
        found = analyse(start, end, department_id)
        _recent.put(key, found)
    return found
