"""Every published figure, recomputed from the raw rows for random data, against every face
that shows it: the dashboard, the monthly xlsx, /public/results and /public/results.json —
live, and again frozen after the month is closed.

The data: cases completed in October 2026 (some rated, some rated on site without a case,
some with a 追评, some rated by the system default rule, some never), ratings excluded as
an approved appeal would, and 差评 tickets worked to every state (replied, followed up with
each answer by the bureau, resolved late, left overdue). The expected values are computed
here in plain Python from the rows, with the formulas of the seed: 好评 = 5, 4, 3; 差评 =
2, 1; first ratings only; 未评 = no citizen's first rating.
"""

import datetime as dt
import io
import random
import re

import pytest
from openpyxl import load_workbook

from core import clock
from models import Case
from models import Department
from models import Rating
from models import Ticket
from models import User
from models import db
from models.ticket import OPEN_STATES
from ratings import defaults
from ratings.core import RatingRequest
from ratings.core import submit_rating
from rectification import followup
from rectification import tickets

OCT = (dt.datetime(2026, 10, 1), dt.datetime(2026, 11, 1))
ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied")


def rate(part, whole):
    return round(100.0 * part / whole, 2) if whole else None


def build(make, ratings, seed: int) -> None:
    """Random October data through the real intake, rating core and workflow."""
    rng = random.Random(seed)
    bureau = User.by_username("bureau")
    admins = {make.police.id: User.by_username("police_admin"), make.social.id: User.by_username("social_admin")}
    first_ratings = []
    for _ in range(rng.randint(40, 70)):
        dept = rng.choice(("police", "social"))
        completed = dt.datetime(2026, 10, rng.randint(1, 31), rng.randint(9, 16), rng.randint(0, 59))
        case = ratings.case(dept, completed=completed, phone=None if rng.random() < 0.2 else "13800138000")
        if rng.random() < 0.75 and completed.day <= 27:
            at = completed + dt.timedelta(hours=rng.randint(1, 30))
            channel = rng.choice(("sms", "h5", "wechat", "pad"))
            result = ratings.rate(rng.choice((5, 5, 5, 4, 4, 3, 3, 2, 1)), case=case, at=at, channel=channel)
            first_ratings.append(result.rating)
            if rng.random() < 0.2:  # 追评
                saved = clock.now()
                clock.freeze(at + dt.timedelta(days=1))
                submit_rating(
                    RatingRequest(
                        level=rng.choice((1, 2, 3, 5)),
                        channel="sms",
                        case=case,
                        rater_ref=f"sms:{case.id}",
                        addendum=True,
                    )
                )
                clock.freeze(saved)
    for n in range(rng.randint(3, 10)):  # on site, without a case
        window = rng.choice((make.police_window, make.social_window))
        clock.freeze(dt.datetime(2026, 10, rng.randint(1, 31), 11, n))
        submit_rating(RatingRequest(level=rng.randint(1, 5), channel="qr", window=window, rater_ref=f"browser:r{n}"))
    # 系统默认评价 of cases still unrated three days after completion (ratings.default_rating_days = 3).
    clock.freeze(dt.datetime(2026, 10, 31, 12, 0))
    defaults.apply_default_ratings()
    # An approved appeal (or a fraud review) takes some ratings out of every figure.
    for rating in rng.sample(first_ratings, k=min(3, len(first_ratings))):
        Rating.update(excluded=True, excluded_reason="申诉通过").where(Rating.id == rating.id).execute()
    # Work the tickets: some replied, followed up by the bureau, some resolved late, some left open.
    for ticket in list(Ticket.select().order_by(Ticket.id)):
        roll = rng.random()
        actor = admins[ticket.department_id]
        clock.freeze(ticket.created_at + dt.timedelta(hours=2))
        if roll < 0.25:
            continue  # left open: overdue by 2026-11-26
        if roll < 0.4:
            ticket = tickets.record_verification_call(ticket, actor, "已联系")
            ticket = tickets.start_rectification(ticket, actor, "属实")
            clock.freeze(ticket.due_at + dt.timedelta(days=2))  # resolved after its deadline
            tickets.complete_rectification(ticket, actor, "已整改")
            continue
        ticket = tickets.resolve_on_the_spot(ticket, actor, "当场解决")
        if roll < 0.55:
            continue  # resolved, not replied
        ticket = followup.send_reply(ticket, "已整改。", actor)
        if roll < 0.7:
            continue  # 回访 pending
        clock.freeze(clock.now() + dt.timedelta(days=1))
        answer = rng.choice(ANSWERS + ("unreachable",))
        followup.record_followup(ticket, answer, channel="phone", actor=bureau)
    clock.freeze(dt.datetime(2026, 11, 26, 10, 0))


def expected() -> dict:
    """{department code | "district": figures} recomputed from the rows."""
    start, end = OCT
    now = clock.now()
    rows = list(Rating.select().where((Rating.created_at >= start) & (Rating.created_at < end)))
    cases = list(
        Case.select().where((Case.status == "completed") & (Case.completed_at >= start) & (Case.completed_at < end))
    )
    first_of_case = {r.case_id: r for r in Rating.select().where(Rating.sequence == 1) if r.case_id}
    ticket_of = {t.rating_id: t for t in Ticket.select()}
    out = {}
    units = [d for d in Department.directory()]
    for unit in units + [None]:
        mine = [r for r in rows if unit is None or r.department_id == unit.id]
        counted = [r for r in mine if r.sequence == 1 and not r.excluded]
        levels = {str(lv): sum(1 for r in counted if r.level == lv) for lv in (5, 4, 3, 2, 1)}
        good = sum(1 for r in counted if r.level >= 3)
        bad = sum(1 for r in counted if r.level <= 2)
        active = [r for r in counted if r.channel != "default"]
        done = [c for c in cases if unit is None or c.department_id == unit.id]
        unrated = sum(1 for c in done if c.id not in first_of_case or first_of_case[c.id].channel == "default")
        bad_reviews = [ticket_of[r.id] for r in mine if r.is_bad and not r.excluded]
        followed = [t for t in bad_reviews if t.followup_result in ANSWERS]
        satisfied = [t for t in followed if t.followup_result in ("satisfied", "basically_satisfied")]
        resolved = [t for t in bad_reviews if t.resolved_at is not None]
        on_time = [t for t in resolved if t.resolved_at <= t.due_at]
        overdue = [t for t in bad_reviews if t.state in OPEN_STATES and t.due_at < now]
        out[unit.code if unit else "district"] = {
            "name": unit.name if unit else "全区合计",
            "rated": len(counted),
            "levels": levels,
            "bad": bad,
            "good_rate": rate(good, len(counted)),
            "bad_rate": rate(bad, len(counted)),
            "active_good_rate": rate(sum(1 for r in active if r.level >= 3), len(active)),
            "unrated_rate": rate(unrated, len(done)),
            "tickets": len(bad_reviews),
            "reply_rate": rate(sum(1 for t in bad_reviews if t.replied_at), len(bad_reviews)),
            "followup_rate": rate(len(followed), len(bad_reviews)),
            "followup_satisfied_rate": rate(len(satisfied), len(followed)),
            "on_time_rate": rate(len(on_time), len(resolved) + len(overdue)),
        }
    return out


JSON_KEYS = ("rated", "levels", "good_rate", "bad_rate", "unrated_rate", "reply_rate", "followup_rate")
JSON_KEYS += ("followup_satisfied_rate", "on_time_rate")


def pct(value) -> str:
    return "—" if value is None else f"{value:.2f}%"


def check_json(client, want: dict, closed: bool) -> None:
    body = client.get("/public/results.json?month=2026-10").get_json()
    assert body["month"] == "2026-10" and (body["closed_at"] is not None) == closed
    got = {d["code"]: d for d in body["departments"]}
    for code, figures in want.items():
        entry = body["district"] if code == "district" else got[code]
        assert {k: entry[k] for k in JSON_KEYS} == {k: figures[k] for k in JSON_KEYS}, code


def check_page(client, want: dict) -> None:
    page = client.get("/public/results?month=2026-10").get_data(as_text=True)
    for code, figures in want.items():
        if code == "district":
            assert f'<b id="total-rated">{figures["rated"]}</b>' in page
            assert f'<b id="total-good-rate">{pct(figures["good_rate"])}</b>' in page
            assert f'<b id="total-unrated-rate">{pct(figures["unrated_rate"])}</b>' in page
            continue
        row = re.search(rf'<tr data-unit="{code}">(.*?)</tr>', page, re.S).group(1)
        cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rates = ("good_rate", "bad_rate", "unrated_rate", "reply_rate", "followup_rate", "followup_satisfied_rate")
        shown = [str(figures["rated"]), *(str(figures["levels"][lv]) for lv in "54321")]
        shown += [pct(figures[k]) for k in rates + ("on_time_rate",)]
        assert cells[1:] == shown, code
    # Each formula is on the page.
    assert "好评率 = （非常满意＋满意＋基本满意）÷ 评价数 × 100%" in page


def check_xlsx(session, want: dict) -> None:
    data = session.get("/admin/reports/monthly.xlsx?month=2026-10").data
    rows = [tuple(r) for r in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True)]
    header = rows[2]
    units = {r[1]: dict(zip(header, r, strict=False)) for r in rows[3:] if r[1]}
    for figures in want.values():
        unit = units[figures["name"]]
        columns = {
            "rated": "评价数（首次评价）",
            "bad": "差评数（首次评价）",
            "tickets": "差评工单数（首次评价与追评）",
            "good_rate": "好评率(%)",
            "bad_rate": "差评率(%)",
            "active_good_rate": "主动评价好评率(%)",
            "unrated_rate": "未评率(%)",
            "reply_rate": "差评回复率(%)",
            "followup_rate": "回访整改率(%)",
            "followup_satisfied_rate": "回访整改满意率(%)",
            "on_time_rate": "按期整改率(%)",
        }
        for key, column in columns.items():
            value = figures[key]
            assert unit[column] == ("—" if value is None else value), (figures["name"], column)


def check_dashboard(session, make, want: dict) -> None:
    for code, department in (("district", None), ("GAJ", make.police), ("RSJ", make.social)):
        query = "month=2026-10" + (f"&department={department.id}" if department else "")
        page = session.get(f"/admin/?{query}").get_data(as_text=True)
        figures = want[code]

        def card(name, page=page):
            return re.search(rf'id="{name}">([^<]*)<', page).group(1)

        assert card("m-rated") == str(figures["rated"]), code
        assert card("m-bad") == str(figures["bad"]), code
        assert card("m-good-rate") == pct(figures["good_rate"]), code
        assert card("m-bad-rate") == pct(figures["bad_rate"]), code
        assert card("m-active-good-rate") == pct(figures["active_good_rate"]), code
        assert card("m-unrated-rate") == pct(figures["unrated_rate"]), code
        assert card("m-tickets") == str(figures["tickets"]), code


@pytest.mark.settings({"ratings": {"default_rating_days": 3}})
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_face_shows_the_figures_recomputed_from_the_rows(app, make, ratings, login, runner, seed):
    with app.app_context(), db.connection_context():
        build(make, ratings, seed)
        want = expected()
    assert want["district"]["rated"] > 20
    with app.app_context(), db.connection_context():
        assert Rating.select().where(Rating.channel == "default").exists()  # the data has every kind of rating
        assert Rating.select().where(Rating.sequence == 2).exists() or seed == 3
    bureau = login("bureau")
    client = app.test_client()
    check_json(client, want, closed=False)
    check_page(client, want)
    check_xlsx(bureau, want)
    check_dashboard(bureau, make, want)
    # Closed: the frozen report shows the same numbers, and says when it was closed.
    result = runner.invoke(args=["report", "close", "--month", "2026-10"])
    assert result.exit_code == 0 and "Closed 2026-10: version 1" in result.output
    check_json(client, want, closed=True)
    check_page(client, want)
    check_xlsx(bureau, want)
