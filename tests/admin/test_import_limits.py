"""Uploads that try to hold a worker or read the server's files: a readable page, at once.

A 2-million-row workbook of a few hundred KB, a sheet past the row cap, XXE and a
billion-laughs DTD, a broken sheet, NUL in a cell, non-ASCII digits as counts: each
is refused with a Chinese message naming the problem, nothing is written, no 500.
"""

import io
import time
import zipfile

import pytest

from admin import importers
from admin.importers import reader
from models import Hall
from models import Item
from models import Rating
from models import Window
from tests.proof.hostile import SHEET
from tests.proof.hostile import XXE_SHEET
from tests.proof.hostile import xlsx_with

from .test_imports import CATALOGUE_HEADER
from .test_imports import PAPER_HEADER
from .test_imports import csv_bytes
from .test_imports import xlsx


def bomb(rows: int) -> bytes:
    """A workbook of `rows` tiny rows, deflated to a few hundred KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        template = zipfile.ZipFile(io.BytesIO(xlsx_with(SHEET % b"")))
        for name in template.namelist():
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, template.read(name))
        with z.open("xl/worksheets/sheet1.xml", "w") as sheet:
            head, tail = (SHEET % b"|").split(b"|")
            sheet.write(head)
            chunk = b"<row><c><v>1</v></c></row>" * 10000
            for _ in range(rows // 10000):
                sheet.write(chunk)
            sheet.write(tail)
    return buffer.getvalue()


def test_a_two_million_row_workbook_is_refused_by_its_structure_before_any_row_is_read(ctx, make):
    data = bomb(2_000_000)
    assert len(data) < 600 * 1024
    started = time.monotonic()
    report = importers.run("catalogue", "bomb.xlsx", data, "user:test")
    assert time.monotonic() - started < 5
    assert not report.ok and "解压后过大" in report.problems[0][2]


def test_rows_past_the_cap_stop_the_reading_at_the_cap(ctx, make, monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROWS", 50)
    rows = [CATALOGUE_HEADER] + [[f"X-{n}", f"事项{n}", "公共服务", "GAJ", "是"] for n in range(60)]
    consumed = []
    original = reader._Stream.__next__

    def counting(self):
        consumed.append(1)
        return original(self)

    monkeypatch.setattr(reader._Stream, "__next__", counting)
    report = importers.run("catalogue", "many.xlsx", xlsx(rows), "user:test")
    assert not report.ok and "一次最多导入 50 行" in report.problems[0][2]
    assert len(consumed) == 52  # the header, 50 rows, and the one that crossed the cap: not the other 9
    assert Item.select().where(Item.code.startswith("X-")).count() == 0


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("xxe.xlsx", xlsx_with(XXE_SHEET), "无法"),
        (
            "laughs.xlsx",
            xlsx_with(
                b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>'
            ),
            "无法",
        ),
        ("broken.xlsx", xlsx_with(b"<worksheet><sheetData><row><c"), "无法"),
        ("zip.xlsx", b"PK\x03\x04 not a zip at all", "无法读取"),
        (
            "nul.xlsx",
            xlsx_with(SHEET % b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe4\xba\x8b&#0;</t></is></c></row>'),
            "无法",
        ),
        ("nul.csv", csv_bytes([CATALOGUE_HEADER, ["A\x00B", "名", "公共服务", "GAJ", "是"]]), "控制字符"),
        ("long.csv", csv_bytes([CATALOGUE_HEADER, ["A", "名" * 5000, "公共服务", "GAJ", "是"]]), "超过"),
    ],
)
def test_hostile_files_get_a_message_and_write_nothing(ctx, make, name, data, message):
    before = Item.select().count()
    report = importers.run("catalogue", name, data, "user:test")
    assert not report.ok
    assert message in report.problems[0][2], report.problems
    assert Item.select().count() == before


def test_the_import_page_answers_a_hostile_file_with_a_readable_page(login, make):
    session = login("bureau")
    page = session.get("/admin/imports")
    assert page.status_code == 200
    response = session.post(
        "/admin/imports",
        data={"kind": "catalogue", "file": (io.BytesIO(xlsx_with(XXE_SHEET)), "xxe.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "无法" in text and "root:" not in text


@pytest.fixture
def town_window(ctx, make):
    hall = Hall.create(code="GTJD-BM", name="甘亭街道便民服务中心", department=make.town)
    return Window.create(code="GTJD-BM-01", name="综合受理窗口", hall=hall, department=make.town)


def test_paper_counts_and_levels_in_other_digits(ctx, make, town_window):
    rows = [
        PAPER_HEADER,
        ["GTJD", "GTJD-BM-01", "2026-11-05", "²", "１２", "", ""],  # NFKC: level 2, 12 forms
        ["GTJD", "GTJD-BM-01", "2026-11-05", "5", "٣", "", ""],  # Arabic-Indic digits: not a count
    ]
    report = importers.run("paper", "paper.csv", csv_bytes(rows), "user:test", month="2026-11")
    columns = {(row, column) for row, column, _ in report.problems}
    assert columns == {(3, "份数")}, report.problems
    assert Rating.select().count() == 0
