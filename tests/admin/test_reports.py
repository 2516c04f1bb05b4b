"""The monthly xlsx: district-wide and per unit, from the page and from `flask report monthly`."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from bench.admin_pages import admin_bench_command
from figures.xlsx import safe
from models import AuditLog
from models import Ticket
from models import db


@pytest.fixture
def october(app, make, ratings):
    with app.app_context(), db.connection_context():
        at = dt.datetime(2026, 10, 15, 10)
        for level in (5, 5, 4, 3, 1):
            ratings.rate(level, at=at)
        replied = ratings.rate(2, dept="social", at=at, comment='=HYPERLINK("http://x")').ticket
        Ticket.update(replied_at=at, reply_text="已整改").where(Ticket.id == replied.id).execute()
        ratings.case(dept="social", completed=at)  # unrated
        ratings.rate(5, at=dt.datetime(2026, 11, 3, 10))  # another month


def rows_of(data: bytes, sheet: int = 0) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    return [tuple(r) for r in wb.worksheets[sheet].iter_rows(values_only=True)]


def by_unit(rows):
    header = rows[2]
    return {r[1]: dict(zip(header, r, strict=False)) for r in rows[3:] if r[1]}


def test_district_report_figures(login, october):
    response = login("bureau").get("/admin/reports/monthly.xlsx?month=2026-10")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    units = by_unit(rows_of(response.data))
    police, social, total = units["区公安分局"], units["区人社局"], units["全区合计"]
    rated = "评价数（首次评价）"
    assert (police[rated], police["非常满意"], police["满意"], police["基本满意"], police["非常不满意"]) == (
        5,
        2,
        1,
        1,
        1,
    )
    # 好评 = 非常满意 + 满意 + 基本满意 (the seed); 差评率 beside it.
    assert police["好评率(%)"] == 80.0 and police["差评率(%)"] == 20.0 and police["差评数（首次评价）"] == 1
    assert (social["办结件数"], social["未评件数"], social["未评率(%)"]) == (2, 1, 50.0)
    assert (social["差评回复率(%)"], social["回访整改率(%)"]) == (100.0, 0.0)
    assert (total[rated], total["差评数（首次评价）"], total["差评回复率(%)"]) == (6, 2, 50.0)
    assert units["甘亭街道"][rated] == 0 and units["甘亭街道"]["好评率(%)"] == "—"
    # Every figure's formula is written under the table.
    notes = [r[0] for r in rows_of(response.data) if r and isinstance(r[0], str) and " = " in r[0]]
    assert any(n.startswith("好评率 = （非常满意＋满意＋基本满意）") for n in notes)
    assert any(n.startswith("差评工单数 = ") and "追评" in n for n in notes)


def test_unit_report_has_breakdowns_and_only_that_unit(login, make, october):
    session = login("police_admin")
    response = session.get(f"/admin/reports/monthly.xlsx?month=2026-10&department={make.police.id}")
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == [
        "单位汇总",
        "按窗口",
        "按工作人员",
        "按事项",
        "差评工单",
        "问题标签",
        "评论高频词",
        "表扬与关注",
        "补报",
    ]
    assert [r[1] for r in rows_of(response.data)[3:] if r[1]] == ["区公安分局"]
    windows = rows_of(response.data, 1)
    assert windows[1][1] == "窗口" and windows[2][1:3] == ("户籍业务窗口", 5)
    # The district-wide report is not a department's.
    assert session.get("/admin/reports/monthly.xlsx?month=2026-10").status_code == 403
    with db.connection_context():
        assert AuditLog.select().where(AuditLog.action == "report.export").count() == 1


def test_report_page_shows_the_same_figures(login, october):
    page = login("bureau").get("/admin/reports?month=2026-10").get_data(as_text=True)
    assert "80.00" in page and "全区合计" in page


def test_cli_writes_the_report(app, runner, october, tmp_path):
    out = tmp_path / "r.xlsx"
    result = runner.invoke(args=["report", "monthly", "--month", "2026-10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert by_unit(rows_of(out.read_bytes()))["全区合计"]["评价数（首次评价）"] == 6
    unit = runner.invoke(args=["report", "monthly", "--month", "2026-10", "--dept", "RSJ", "--out", str(out)])
    assert unit.exit_code == 0
    assert [r[1] for r in rows_of(out.read_bytes())[3:] if r[1]] == ["区人社局"]
    assert runner.invoke(args=["report", "monthly", "--month", "2026-13"]).exit_code == 2
    assert runner.invoke(args=["report", "monthly", "--month", "2026-10", "--dept", "NOPE"]).exit_code == 2


def test_cli_defaults_to_last_month(runner, october, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(args=["report", "monthly"])
    assert result.exit_code == 0 and (tmp_path / "好差评月报-2026-10.xlsx").exists()


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx"])
def test_formula_like_text_is_written_as_text(text):
    assert safe(text) == "'" + text
    assert safe("满意") == "满意" and safe(5) == 5


def test_a_formula_like_name_reaches_the_sheet_as_text(login, make, ratings, app):
    from models import Staff

    with app.app_context(), db.connection_context():
        Staff.update(name="=cmd|' /C calc'!A0").where(Staff.id == make.officer.id).execute()
        ratings.rate(5, at=dt.datetime(2026, 10, 15, 10))
    response = login("bureau").get(f"/admin/reports/monthly.xlsx?month=2026-10&department={make.police.id}")
    staff_sheet = rows_of(response.data, 2)
    assert staff_sheet[2][1] == "'=cmd|' /C calc'!A0"


def test_admin_bench_requests_every_page(runner, staff, october):
    result = runner.invoke(admin_bench_command, ["--rounds", "1"])
    assert result.exit_code == 0, result.output
    statuses = [line.split()[0] for line in result.output.splitlines() if line[:3].isdigit()]
    assert len(statuses) == 19 and set(statuses) == {"200"}
