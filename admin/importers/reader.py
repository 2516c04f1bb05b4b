"""Rows of an uploaded xlsx or csv file, keyed by the header row."""

import csv
import io
import zipfile

from openpyxl import load_workbook

MAX_ROWS = 20000


class UnreadableFile(Exception):
    """The file is not a readable xlsx/csv; the message is for the user."""


def read_rows(filename: str, data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(row number, {header: text})]); blank rows are skipped."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        table = _xlsx(data)
    elif name.endswith(".csv"):
        table = _csv(data)
    else:
        raise UnreadableFile("只支持 .xlsx 或 .csv 文件")
    if not table:
        raise UnreadableFile("文件是空的")
    header = [_text(h) for h in table[0]]
    if not any(header):
        raise UnreadableFile("第 1 行应为表头")
    rows = []
    for number, values in enumerate(table[1:], 2):
        cells = [_text(v) for v in values]
        if not any(cells):
            continue
        rows.append((number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}))
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(f"一次最多导入 {MAX_ROWS} 行")
    return header, rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "date") and hasattr(value, "hour"):  # a datetime cell
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat()
    return str(value).strip()


def _xlsx(data: bytes) -> list[list]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UnreadableFile("无法读取该 xlsx 文件，请用 Excel/WPS 另存为 .xlsx 后重试") from None
    ws = wb.worksheets[0]
    table = [list(row) for row in ws.iter_rows(values_only=True)]
    wb.close()
    return table


def _csv(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("无法识别 csv 文件的编码（请使用 UTF-8 或 GBK）")
    return [row for row in csv.reader(io.StringIO(text))]
