"""/public/results: monthly results by department, for everyone, with no personal data."""

import datetime as dt

from models import Rating
from models import db


def test_public_results_by_department_without_personal_data(app, client, make, ratings):
    with app.app_context(), db.connection_context():
        ratings.rate(5, at=dt.datetime(2026, 10, 10, 9))
        ratings.rate(1, at=dt.datetime(2026, 10, 11, 9), comment="工作人员王敏态度差")
        gone = ratings.rate(1, at=dt.datetime(2026, 10, 12, 9)).rating
        Rating.update(excluded=True).where(Rating.id == gone.id).execute()
        ratings.rate(4, dept="social", at=dt.datetime(2026, 11, 20, 9))  # the current month is not over
    response = client.get("/public/results")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="2026-10" selected' in page  # the last completed month by default
    assert "区公安分局" in page and "甘亭街道" in page
    assert '<b id="total-rated">2</b>' in page and "50.00%" in page
    for private in ("13800138000", "138****8000", "张三", "王敏", "态度差"):
        assert private not in page
    # The current month is listed too, partial until it closes, and says so.
    assert 'value="2026-11"' in page.split('id="month"')[1].split("</select>")[0]
    current = client.get("/public/results?month=2026-11").get_data(as_text=True)
    assert '<b id="total-rated">1</b>' in current and "尚未关闭，实时统计" in current


def test_public_results_ignores_a_bad_month(client, make):
    response = client.get("/public/results?month=2027-01")
    assert response.status_code == 200 and 'value="2026-10" selected' in response.get_data(as_text=True)
