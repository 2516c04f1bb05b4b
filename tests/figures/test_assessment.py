"""考核: the score from the configured weights, its rules (no 差评 = full rectification marks,
missing denominators left out, overdue deductions), the minimum-sample rule, the xlsx for
区营商办; and the commend and attention lists."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from figures import assessment
from figures import lists
from figures import published
from rectification import followup
from rectification import tickets

OCT = dt.datetime(2026, 10, 15, 10)


def unit(rows, code):
    return next(r for r in rows if r["code"] == code)


@pytest.mark.settings({"figures": {"min_ranking_sample": 3}})
def test_scores_ranks_and_the_minimum_sample(ctx, make, ratings, staff):
    for level in (5, 5, 4, 3):
        ratings.rate(level, at=OCT)
    ratings.case(completed=OCT)  # one completed case never rated: 参评率 80 %
    bad = ratings.rate(1, dept="social", at=OCT).ticket
    for level in (5, 4):
        ratings.rate(level, dept="social", at=OCT)
    ticket = tickets.resolve_on_the_spot(bad, staff["social_admin"], "已解决")
    followup.send_reply(ticket, "已整改", staff["social_admin"])
    ratings.rate(5, dept="police", at=OCT).rating  # noqa: B018
    rows = published.unit_rows("2026-10")
    police, social = unit(rows, "GAJ"), unit(rows, "RSJ")
    # Police: 好评率 100, 参评率 5/6 rated → 83.33, no 差评: rectification in full.
    score = assessment.score(police)
    assert score["indicators"]["participation_rate"] == 83.33
    assert score["score"] == round(40 + 10 * 0.8333 + 15 + 15 + 10 + 10, 2)
    # Social: 好评率 66.67, replied (100), no 回访 yet (0 followed up), 满意率 unknown (left out),
    # resolved only now, after its deadline (按期 0).
    score = assessment.score(social)
    assert score["indicators"]["followup_satisfied_rate"] is None
    weights = 40 + 10 + 15 + 15 + 10
    assert score["indicators"]["on_time_rate"] == 0.0
    assert score["score"] == round((40 * 66.67 + 10 * 100 + 15 * 100 + 15 * 0 + 10 * 0) / weights, 2)
    result = assessment.ranking(rows)
    assert [(e["code"], e["rank"]) for e in result["rows"]] == [("GAJ", 1), ("RSJ", 2)]
    assert [e["code"] for e in result["unscored"]] == ["SPJ", "GTJD"]  # no ratings: no score


@pytest.mark.settings({"figures": {"min_ranking_sample": 30}})
def test_units_under_the_sample_are_scored_apart_and_deductions_apply(ctx, make, ratings):
    ratings.rate(1, at=dt.datetime(2026, 10, 2, 10))  # its ticket is overdue by 2026-11-26
    ratings.rate(5, at=OCT)
    result = assessment.ranking(published.unit_rows("2026-10"))
    assert result["rows"] == []
    police = unit(result["unranked"], "GAJ")
    assert police["deduction"] == 2.0 and police["overdue"] == 1 and "rank" not in police


def test_the_assessment_xlsx_for_the_business_environment_office(login, app, make, ratings):
    from models import db

    with app.app_context(), db.connection_context():
        for level in (5, 4, 2):
            ratings.rate(level, at=OCT)
    bureau = login("bureau")
    response = bureau.get("/admin/assessment.xlsx?month=2026-10")
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["考核得分", "评分规则"]
    rows = list(wb["考核得分"].iter_rows(values_only=True))
    header = rows[2]
    police = dict(zip(header, next(r for r in rows if r[1] == "区公安分局"), strict=False))
    assert police["评价数"] == 3 and "样本不足" in police["备注"]
    rules = [r[0] for r in wb["评分规则"].iter_rows(values_only=True)]
    assert any(str(r).startswith("好评率：权重 40") for r in rules)
    page = bureau.get("/admin/assessment?month=2026-10").get_data(as_text=True)
    assert "样本不足、不参与排名的单位" in page and 'data-unit="GAJ"' in page
    assert login("police_admin").get("/admin/assessment").status_code == 403


@pytest.mark.settings({"figures": {"commend_staff_min_sample": 2, "min_ranking_sample": 2, "repeat_bad_count": 2}})
def test_commend_and_attention_lists(ctx, make, ratings):
    for level in (5, 5, 5):
        ratings.rate(level, dept="social", at=OCT)
    for level in (1, 2, 5):
        ratings.rate(level, at=OCT)
    start, end = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
    commend = lists.commend(start, end)
    assert [u["name"] for u in commend["units"]] == ["区人社局", "区公安分局"]
    assert [(s["name"], s["department"]) for s in commend["staff"]][0] == ("李静", "区人社局")
    attention = lists.attention(start, end)
    assert attention["units"] == [{"name": "区公安分局", "overdue": 2, "unreplied": 2}]
    assert [(s["name"], s["bad"]) for s in attention["staff"]] == [("王敏", 2)]
    assert lists.attention(start, end, make.social.id) == {"units": [], "staff": []}
