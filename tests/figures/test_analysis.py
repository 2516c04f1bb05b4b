"""反映集中的问题: label counts per unit and item with the change from the month before, and the
comments' recurring terms (jieba, stop words) with examples that carry no personal data."""

import datetime as dt

from figures import analysis

OCT = (dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def test_label_counts_with_the_change_from_the_month_before(ctx, make, ratings):
    for labels in (["202"], ["202", "201"], ["202"]):
        ratings.rate(2, at=dt.datetime(2026, 10, 10, 10), labels=labels)
    ratings.rate(2, at=dt.datetime(2026, 9, 10, 10), labels=["201"])
    ratings.rate(3, dept="social", at=dt.datetime(2026, 10, 11, 10), labels=["301"])
    ratings.rate(5, at=dt.datetime(2026, 10, 12, 10), labels=["501"])  # praise: not a problem
    found = analysis.label_counts(*OCT)
    by_label = {r["code"]: (r["count"], r["previous"], r["change"]) for r in found["by_label"]}
    assert by_label == {"202": (3, 0, 3), "201": (1, 1, 0), "301": (1, 0, 1)}
    rows = {(r["department"], r["item"], r["code"]): r["count"] for r in found["rows"]}
    assert rows[("区公安分局", "居民身份证换领", "202")] == 3
    assert analysis.label_counts(*OCT, department_id=make.social.id)["by_label"][0]["code"] == "301"


def test_recurring_terms_with_examples_and_no_personal_data(ctx, make, ratings):
    comments = [
        "排队时间太长，等了两个多小时",
        "排队人太多，窗口太少",
        "王敏态度生硬，请回电13912345678",
        "工作人员李静不耐烦，排队也慢",
        "材料被退回三次，一次性告知不到位",
    ]
    for text in comments:
        ratings.rate(2, at=dt.datetime(2026, 10, 10, 10), comment=text)
    ratings.rate(5, at=dt.datetime(2026, 10, 10, 10), comment="排队很快，非常满意")  # not a complaint
    found = analysis.comment_terms(*OCT)
    terms = {t["term"]: t for t in found["terms"]}
    assert found["comments"] == 5
    assert terms["排队"]["count"] == 3 and len(terms["排队"]["examples"]) == 3
    text = repr(found)
    for private in ("王敏", "李静", "13912345678"):  # a staff name, a name jieba finds, a phone
        assert private not in text
    assert "**态度生硬，请回电***" in text
    for stop in ("工作人员", "非常", "满意"):
        assert stop not in terms
    assert "区公安分局" in found["by_unit"]


def test_the_analysis_page_and_the_dashboard_panel(login, app, make, ratings):
    from models import db

    with app.app_context(), db.connection_context():
        ratings.rate(2, at=dt.datetime(2026, 10, 10, 10), comment="排队时间太长", labels=["202"])
        ratings.rate(1, dept="social", at=dt.datetime(2026, 10, 10, 10), comment="社保窗口推诿", labels=["101"])
    page = login("bureau").get("/admin/analysis?month=2026-10").get_data(as_text=True)
    assert "办理时间长" in page and "排队" in page and "推诿" in page
    own = login("police_admin").get("/admin/analysis?month=2026-10").get_data(as_text=True)
    assert "排队" in own and "推诿" not in own and "服务态度恶劣" not in own
    dashboard = login("bureau").get("/admin/?month=2026-10").get_data(as_text=True)
    assert 'id="problem-labels"' in dashboard and "办理时间长" in dashboard.split('id="problem-labels"')[1]
