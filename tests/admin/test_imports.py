"""Imports: row-by-row validation with a Chinese report, all-or-nothing, xlsx and csv."""

import base64
import datetime as dt
import io

import pytest
from openpyxl import Workbook

from admin import importers
from figures import ratings as figures
from figures.ratings import Filters
from models import Department
from models import Hall
from models import Item
from models import MonthSubmission
from models import Rating
from models import Staff
from models import Ticket
from models import Window


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], encoding="utf-8-sig") -> bytes:
    return "\n".join(",".join(map(str, r)) for r in rows).encode(encoding)


CATALOGUE_HEADER = ["事项编码", "事项名称", "事项类型", "实施部门编码", "是否启用"]


def test_catalogue_import_creates_and_updates(ctx, make):
    data = xlsx(
        [
            CATALOGUE_HEADER,
            ["610118-GAJ-001", "居民身份证换领（含补领）", "公共服务", "GAJ", "是"],
            ["610118-RSJ-009", "失业保险金申领", "行政给付", "RSJ", "是"],
        ]
    )
    report = importers.run("catalogue", "清单.xlsx", data, "user:test")
    assert report.ok and report.written == {"created": 1, "updated": 1}
    assert Item.by_code("610118-GAJ-001").name == "居民身份证换领（含补领）"
    assert Item.by_code("610118-RSJ-009").department_id == make.social.id


def test_catalogue_errors_name_row_column_and_problem_and_write_nothing(ctx, make):
    data = xlsx(
        [
            CATALOGUE_HEADER,
            ["610118-X-1", "好事项", "公共服务", "GAJ", "是"],
            ["", "无编码", "公共服务", "GAJ", ""],
            ["610118-X-1", "重复", "许可", "NOPE", "也许"],
        ]
    )
    report = importers.run("catalogue", "清单.xlsx", data, "user:test")
    assert not report.ok
    assert (3, "事项编码", "不能为空") in report.problems
    assert (4, "事项编码", "与第 2 行重复") in report.problems
    assert any(p[0] == 4 and p[1] == "事项类型" for p in report.problems)
    assert (4, "实施部门编码", "部门「NOPE」不存在") in report.problems
    assert (4, "是否启用", "应填「是」或「否」") in report.problems
    assert Item.by_code("610118-X-1") is None  # the good row was not written either


def test_missing_columns_and_unreadable_files(ctx, make):
    assert importers.run("catalogue", "a.xlsx", xlsx([["事项编码"], ["x"]]), "t").problems[0][2].startswith("缺少")
    assert importers.run("catalogue", "a.xlsx", b"not a zip", "t").problems[0][2].startswith("无法读取")
    assert importers.run("catalogue", "a.txt", b"x", "t").problems[0][2] == "只支持 .xlsx 或 .csv 文件"
    assert importers.run("catalogue", "a.csv", csv_bytes([CATALOGUE_HEADER]), "t").problems[0][2] == "文件中没有数据行"


def test_master_data_in_any_order_from_gbk_csv(ctx, make):
    header = ["数据类型", "编码", "名称", "所属部门编码", "所属大厅编码", "所属窗口编码", "部门类型", "地址"]
    rows = [
        header,
        ["工作人员", "S900", "赵云", "QDZ", "", "QDZ-BM-01", "", ""],
        ["窗口", "QDZ-BM-01", "综合受理窗口", "QDZ", "QDZ-BM", "", "", ""],
        ["大厅", "QDZ-BM", "秦渡镇便民服务中心", "QDZ", "", "", "", "秦渡镇"],
        ["部门", "QDZ", "秦渡镇", "", "", "", "镇街", ""],
        ["部门", "GAJ", "区公安分局（更名）", "", "", "", "区级部门", ""],
    ]
    report = importers.run("master", "基础数据.csv", csv_bytes(rows, "gb18030"), "user:test")
    assert report.ok, report.problems
    assert report.written == {"created": 4, "updated": 1}
    town = Department.by_code("QDZ")
    assert town.kind == "town" and Hall.by_code("QDZ-BM").department_id == town.id
    assert Staff.by_code("S900").window_id == Window.by_code("QDZ-BM-01").id
    assert Department.by_code("GAJ").name == "区公安分局（更名）"


def test_master_data_reference_errors(ctx, make):
    header = ["数据类型", "编码", "名称", "所属部门编码", "所属大厅编码"]
    rows = [header, ["窗口", "X-01", "窗口", "GAJ", "NOHALL"], ["车辆", "V1", "车", "", ""]]
    report = importers.run("master", "m.xlsx", xlsx(rows), "user:test")
    assert (2, "所属大厅编码", "「NOHALL」不存在（库中和本文件中都没有）") in report.problems
    assert any(p[0] == 3 and p[1] == "数据类型" for p in report.problems)
    assert Window.by_code("X-01") is None


PAPER_HEADER = ["单位编码", "窗口编码", "评价日期", "评价等级", "份数", "评价标签代码", "文字评价"]


@pytest.fixture
def town_window(ctx, make):
    hall = Hall.create(code="GTJD-BM", name="甘亭街道便民服务中心", department=make.town)
    return Window.create(code="GTJD-BM-01", name="综合受理窗口", hall=hall, department=make.town)


def test_paper_forms_become_ratings_of_that_town_and_month(ctx, make, town_window):
    data = xlsx(
        [
            PAPER_HEADER,
            ["GTJD", "GTJD-BM-01", "2026-10-08", "非常满意", 10, "501", ""],
            ["GTJD", "GTJD-BM-01", dt.datetime(2026, 10, 9), "4", 5, "", ""],
            ["GTJD", "GTJD-BM-01", "2026/10/10", "不满意", 1, "201", "排队太久"],
        ]
    )
    report = importers.run("paper", "甘亭10月.xlsx", data, "user:test", month="2026-10")
    assert report.ok, report.problems
    # … and the import is the town's submission (报送) of October.
    assert report.written == {"ratings": 16, "bad": 1, "submitted": 1}
    submission = MonthSubmission.find(make.town.id, "2026-10")
    assert submission.via == "paper" and "16" in submission.comment
    october = Filters(dt.date(2026, 10, 1), dt.date(2026, 11, 1), department_id=make.town.id)
    summary = figures.summary(october)
    assert (summary["rated"], summary["bad"], summary["good_rate"]) == (16, 1, 93.75)
    assert Rating.select().where(Rating.channel == "paper").count() == 16
    assert Ticket.select().where(Ticket.department == make.town).count() == 1
    # The same file twice would double the figures: refused.
    again = importers.run("paper", "甘亭10月.xlsx", data, "user:test", month="2026-10")
    assert again.problems == [("—", "—", "该文件已经导入过，不能重复导入")]
    assert Rating.select().count() == 16


def test_paper_form_errors(ctx, make, town_window):
    data = xlsx(
        [
            PAPER_HEADER,
            ["GTJD", "W04", "2026-10-08", "5", 1, "", ""],
            ["GTJD", "GTJD-BM-01", "2026-11-01", "6", 0, "", ""],
            ["GTJD", "GTJD-BM-01", "十月", "满意", "x", "999", ""],
            ["GTJD", "GTJD-BM-01", "2026-10-08", "满意", 2, "501", ""],
        ]
    )
    report = importers.run("paper", "p.xlsx", data, "user:test", month="2026-10")
    problems = {(p[0], p[1]) for p in report.problems}
    assert (2, "窗口编码") in problems
    assert {(3, "评价日期"), (3, "评价等级"), (3, "份数")} <= problems
    assert {(4, "评价日期"), (4, "份数")} <= problems
    assert (5, "评价标签代码") in problems  # 501 belongs to 非常满意, not 满意
    assert Rating.select().count() == 0
    assert importers.run("paper", "p.xlsx", data, "t", month="").problems[0][1] == "月份"


def test_import_page_shows_the_error_report(login, make):
    session = login("bureau")
    data = xlsx([CATALOGUE_HEADER, ["610118-Y-1", "事项", "不存在的类型", "GAJ", "是"]])
    response = session.post(
        "/admin/imports",
        data={"kind": "catalogue", "file": (io.BytesIO(data), "清单.xlsx")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "整份文件均未写入" in page and "事项类型" in page and "不存在的类型" in page
    encoded = page.split("base64,")[1].split('"')[0]
    lines = base64.b64decode(encoded).decode("utf-8-sig").splitlines()
    assert lines[0] == "行号,列,问题" and lines[1].startswith("2,事项类型,")
    ok = xlsx([CATALOGUE_HEADER, ["610118-Y-1", "事项", "公共服务", "GAJ", "是"]])
    response = session.post(
        "/admin/imports",
        data={"kind": "catalogue", "file": (io.BytesIO(ok), "清单.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "导入成功" in response.get_data(as_text=True)
    assert session.get("/admin/imports/template/paper.xlsx").status_code == 200
