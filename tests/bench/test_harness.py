"""The benchmark harness's own helpers: the table, the wrk response log, the
ratings generator and the raw figures queries (correctness only, no timing)."""

import datetime as dt

from peewee import fn

from bench import figures
from bench import ingest
from bench.common import Row
from bench.common import render
from bench.generate import generate
from core import clock
from models import Case
from models import Rating
from models import Ticket
from models import db
from models import init_database


def test_row_ratio_and_table():
    rows = [
        Row("ingest SQLite: ratings/s", 900.0, 1500.0, "/s", "≥ 0.60× ceiling", True),
        Row("figures: by hall", None, 812.4, "ms", "≤ 100 ms", None, note="raw GROUP BY only"),
    ]
    assert rows[0].ratio == 0.6
    assert rows[1].ratio is None
    table = render(rows).splitlines()
    assert table[0].startswith("| measure")
    assert "| 900 /s" in table[2] and "| 1,500 /s" in table[2] and "| 0.60 " in table[2] and "PASS" in table[2]
    assert "| — " in table[3] and "812 ms" in table[3] and "n/a (raw GROUP BY only)" in table[3]


def test_wrk_response_log_is_counted_per_status(tmp_path):
    (tmp_path / "responses-1.txt").write_text("201 5\n201 6\n409 -\n")
    (tmp_path / "responses-2.txt").write_text("201 7\n500 -\n")
    statuses, ids = ingest.read_responses(str(tmp_path))
    assert statuses == {"201": 3, "409": 1, "500": 1}
    assert sorted(ids) == [5, 6, 7]
    assert list(tmp_path.iterdir()) == []


def test_generated_ratings_are_consistent_and_the_raw_figures_add_up(database_url):
    first = generate(database_url, 600, months=14, progress=False)
    second = generate(database_url, 150, months=14, seed=2, progress=False)
    init_database(database_url)
    with db.connection_context():
        assert Rating.select().count() == 750 == first["ratings"] + second["ratings"]
        assert Case.select().count() == first["cases"] + second["cases"]
        assert Rating.select().where(Rating.case.is_null(False)).count() == Case.select().count()
        bad = Rating.select().where(Rating.level <= 2)
        assert bad.count() == Ticket.select().count() == first["tickets"] + second["tickets"] > 0
        assert Ticket.select().join(Rating).where(Rating.level > 2).count() == 0
        assert Rating.select().where(Rating.is_bad != (Rating.level <= 2)).count() == 0
        # the sequences follow the loaded ids: the product's next rating gets a fresh one
        case = Case.select().first()
        extra = Rating.create(level=5, label_version="2026.1", channel="pad", department=case.department_id, sequence=1)
        assert extra.id == 751
        extra.delete_instance()
        month_start = clock.today().replace(day=1)
        year_ago = month_start.replace(year=month_start.year - 1)
        expected = (
            Rating.select(Rating.department, fn.COUNT(Rating.id))
            .where(
                ~Rating.excluded
                & (Rating.created_at >= dt.datetime.combine(year_ago, dt.time()))
                & (Rating.created_at < dt.datetime.combine(month_start, dt.time()))
            )
            .group_by(Rating.department)
            .tuples()
        )
        expected = dict(expected)
        # The generator rebuilt the rollup after its bulk load and put the triggers back.
        from models import RatingRollup

        rolled = (
            RatingRollup.select(RatingRollup.unit_id, fn.SUM(RatingRollup.n))
            .where(
                (RatingRollup.dim == "department")
                & (RatingRollup.grain == "m")
                & (RatingRollup.period >= year_ago)
                & (RatingRollup.period < month_start)
            )
            .group_by(RatingRollup.unit_id)
            .tuples()
        )
        assert {k: v for k, v in rolled if v} == expected
    results = {r["query"]: r for r in figures.time_queries(database_url)}
    assert set(results) == {name for name, _, _ in figures.queries(False, clock.today())}
    by_dept = results["dashboard: by department, 12 months"]
    assert by_dept["groups"] == len(expected) > 5
    assert by_dept["rows"] == 750
    assert all(r["raw_ms"] >= 0 and r["product_ms"] >= 0 for r in results.values())


def test_raw_figures_count_levels_and_good_rate(database_url):
    generate(database_url, 300, months=2, progress=False)
    init_database(database_url)
    postgres = database_url.startswith("postgres")
    name, sql, params = next(
        q for q in figures.queries(postgres, clock.today()) if q[0].endswith("by channel, 12 months")
    )
    start = clock.today().replace(day=1) - dt.timedelta(days=400)
    end = clock.today() + dt.timedelta(days=1)
    with db.connection_context():
        rows = db.execute_sql(sql, figures._params((start, end), postgres)).fetchall()
        counted = Rating.select().where(~Rating.excluded).count()
    assert sum(r[1] for r in rows) == counted
    for _channel, total, l5, l4, l3, l2, l1, good_rate in rows:
        assert total == l5 + l4 + l3 + l2 + l1
        assert abs(float(good_rate) - (l5 + l4) / total) < 1e-9


def test_interleaved_posts_bare_wsgi_requests_and_counts_each_side():
    from flask import Flask
    from flask import request

    from bench.interleaved import Side
    from bench.interleaved import ratio
    from bench.interleaved import wsgi_poster

    app = Flask(__name__)
    seen = []

    @app.post("/ratings")
    def rate():
        seen.append((request.headers.get("Authorization"), request.get_json()))
        return "{}", 201 if request.get_json()["level"] else 422

    post = wsgi_poster(app, "/ratings", {"Authorization": "Bearer k", "Content-Type": "application/json"})
    assert post(b'{"level": 5}') == 201
    assert post(b'{"level": 0}') == 422
    assert seen == [("Bearer k", {"level": 5}), ("Bearer k", {"level": 0})]

    a, b = Side("a", post, "sqlite:///unused"), Side("b", post, "sqlite:///unused")
    for quarter in range(4):
        a.run([b'{"level": 5}'] * 3, quarter)
        b.run([b'{"level": 4}', b'{"level": 0}'], quarter)
    assert (a.requests, b.requests) == (12, 8)
    assert a.statuses == {201: 12} and b.statuses == {201: 4, 422: 4}
    assert [q[2] for q in a.quarters] == [3, 3, 3, 3] and a.pg == 0.0
    whole, _, quarters = ratio(a, b).partition("  by quarter: ")
    assert float(whole) > 0 and len(quarters.split()) == 4
    a.reset()  # after the warm-up: nothing of it counted
    assert (a.requests, a.cpu, a.statuses, a.quarters[0][2]) == (0, 0.0, {}, 0)
