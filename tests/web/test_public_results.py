"""`GET /public/results.json?month=YYYY-MM` as API.md specifies it, and the page beside it:
any month up to the current one, a closed month frozen with its closing time, rates with two
decimals or null, errors in the contract's shape, no personal data, a readable phone layout."""

import datetime as dt
import re

from core import clock
from models import db
from tests.admin.conftest import ratings  # noqa: F401
from tests.admin.conftest import staff  # noqa: F401

KEYS = {
    "code",
    "name",
    "rated",
    "levels",
    "good_rate",
    "bad_rate",
    "unrated_rate",
    "reply_rate",
    "followup_rate",
    "followup_satisfied_rate",
    "on_time_rate",
}


def test_the_contracts_shape_and_numbers(app, client, make, ratings):  # noqa: F811
    with app.app_context(), db.connection_context():
        for level in (5, 4, 3, 2):
            ratings.rate(level, at=dt.datetime(2026, 10, 10, 9), comment="王敏态度差")
        ratings.case(completed=dt.datetime(2026, 10, 11, 9))  # completed, unrated
    body = client.get("/public/results.json?month=2026-10").get_json()
    assert {"month", "closed_at", "district", "departments"} <= set(body)
    assert body["month"] == "2026-10" and body["closed_at"] is None  # partial until closed
    assert KEYS <= set(body["district"])
    units = {d["code"]: d for d in body["departments"]}
    assert list(units) == ["SPJ", "GAJ", "RSJ", "GTJD"]  # every active unit, district departments first
    police = units["GAJ"]
    assert KEYS <= set(police) and police["levels"] == {"5": 1, "4": 1, "3": 1, "2": 1, "1": 0}
    assert (police["rated"], police["good_rate"], police["bad_rate"], police["unrated_rate"]) == (4, 75.0, 25.0, 20.0)
    assert (police["reply_rate"], police["followup_rate"], police["followup_satisfied_rate"]) == (0.0, 0.0, None)
    # A unit with nothing: every rate null, not 0.
    empty = units["GTJD"]
    assert empty["rated"] == 0 and all(empty[k] is None for k in KEYS if k.endswith("_rate"))
    assert body["district"]["rated"] == 4
    assert "王敏" not in str(body) and "138" not in str(body)


def test_any_month_up_to_the_current_one_and_errors_as_json(client, make):
    current = client.get("/public/results.json?month=2026-11")
    assert current.status_code == 200 and current.get_json()["closed_at"] is None
    assert client.get("/public/results.json?month=2019-01").status_code == 200  # long ago: zeros
    future = client.get("/public/results.json?month=2026-12")
    assert future.status_code == 404 and future.get_json()["error"]["code"] == "month_not_available"
    for bad in ("2026-13", "26-10", "2026-1", "x", ""):
        response = client.get(f"/public/results.json?month={bad}")
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_month", bad
    # Without a month: the last month (the current one once it is closed).
    assert client.get("/public/results.json").get_json()["month"] == "2026-10"


def test_a_closed_month_is_served_frozen_and_says_when(app, client, runner, make, ratings):  # noqa: F811
    with app.app_context(), db.connection_context():
        ratings.rate(5, at=dt.datetime(2026, 11, 2, 9))
    assert runner.invoke(args=["report", "close", "--month", "2026-11"]).exit_code == 0
    with app.app_context(), db.connection_context():
        ratings.rate(1, at=dt.datetime(2026, 11, 20, 9))  # late: after the close
    body = client.get("/public/results.json?month=2026-11").get_json()
    assert body["closed_at"] == "2026-11-26T10:00:00+08:00" and body["version"] == 1
    assert body["district"]["rated"] == 1 and body["district"]["bad_rate"] == 0.0
    assert client.get("/public/results.json").get_json()["month"] == "2026-11"  # closed: now the default
    page = client.get("/public/results?month=2026-11").get_data(as_text=True)
    assert "2026-11-26 10:00 关闭（第 1 版）" in page and '<b id="total-rated">1</b>' in page


@__import__("pytest").mark.settings(
    {"public": {"organizer": "鄠邑区行政审批服务局", "icp_number": "陕ICP备00000000号", "contact": "029-00000000"}}
)
def test_the_page_shows_every_figure_its_formula_and_the_footer(client, make):
    page = client.get("/public/results?month=2026-10").get_data(as_text=True)
    for name in ("未评率", "差评率", "差评回复率", "回访整改率", "回访整改满意率", "按期整改率"):
        assert f'data-label="{name}"' in page and f"{name} = " in page
    footer = page.split('id="site-footer"')[1]
    assert "主办单位：鄠邑区行政审批服务局" in footer and "陕ICP备00000000号" in footer and "029-00000000" in footer
    assert re.search(r'href="/public/results.json\?month=2026-10"', page)


def test_the_page_ignores_a_future_month(client, make):
    clock.freeze(dt.datetime(2026, 11, 26, 10))
    page = client.get("/public/results?month=2027-05").get_data(as_text=True)
    assert 'value="2026-10" selected' in page
