"""Rows of an uploaded xlsx or csv file, keyed by the header row.

The file is checked while it is read, so that no upload can hold a worker: the
xlsx's zip directory first (entry count, unpacked size, compression ratio: a
128 KB file once unpacked to 2 million rows), then rows one at a time in
openpyxl's read-only mode, stopping at `MAX_ROWS` rather than after the last
row. XML is parsed by defusedxml (openpyxl uses it when it is installed, and
`requirements.txt` pins it): a DTD or an entity (XXE, billion laughs) is refused.
Whatever the file holds, the answer is `UnreadableFile` with a message for the
user, never an exception from a parser.
"""

import csv
import io
import logging
import re
import zipfile

MAX_FILE = 16 * 1024 * 1024  # the upload itself is capped lower, by app.max_body_kb
MAX_ROWS = 20000
MAX_COLUMNS = 50
MAX_CELL = 2000
# The unpacked xlsx: a 20,000-row sheet of 50 columns is far below these.
MAX_UNPACKED = 64 * 1024 * 1024
MAX_RATIO = 200
MAX_ENTRIES = 200
# Control characters no column can store (PostgreSQL refuses NUL); tab and newlines are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

log = logging.getLogger(__name__)


class UnreadableFile(Exception):
    """The file is not a readable xlsx/csv; the message is for the user."""


def read_rows(filename: str, data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    """(header, [(row number, {header: text})]); blank rows are skipped."""
    name = (filename or "").lower()
    if len(data) > MAX_FILE:
        raise UnreadableFile(f"文件过大（最多 {MAX_FILE // 1024 // 1024} MB）")
    if name.endswith(".xlsx"):
        table = _xlsx(data)
    elif name.endswith(".csv"):
        table = _csv(data)
    else:
        raise UnreadableFile("只支持 .xlsx 或 .csv 文件")
    try:
        return _rows(table)
    finally:
        table.close()


def _rows(table) -> tuple[list[str], list[tuple[int, dict]]]:
    first = next(table, None)
    if first is None:
        raise UnreadableFile("文件是空的")
    header = [_text(h, 1, i) for i, h in enumerate(first[:MAX_COLUMNS])]
    if not any(header):
        raise UnreadableFile("第 1 行应为表头")
    rows = []
    for number, values in enumerate(table, 2):
        if number > MAX_ROWS + 1:
            raise UnreadableFile(f"一次最多导入 {MAX_ROWS} 行，请拆分文件后分批导入")
        cells = [_text(v, number, i) for i, v in enumerate(values[:MAX_COLUMNS])]
        if not any(cells):
            continue
        rows.append((number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header) if h}))
    return header, rows


def _text(value, row: int, column: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        value = int(value)
    if hasattr(value, "date") and hasattr(value, "hour"):  # a datetime cell
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat()
    text = str(value).strip()
    if len(text) > MAX_CELL:
        raise UnreadableFile(f"第 {row} 行第 {column + 1} 列超过 {MAX_CELL} 个字符")
    if _CONTROL.search(text):
        raise UnreadableFile(f"第 {row} 行第 {column + 1} 列含有无法保存的控制字符（如 NUL），请删除后重试")
    return text


def _xlsx(data: bytes):
    _check_zip(data)
    # 8 MB: imported by the first upload, not by every worker.
    import openpyxl.xml
    from openpyxl import load_workbook

    if not (openpyxl.xml.DEFUSEDXML or openpyxl.xml.LXML):  # pragma: no cover - requirements.txt pins defusedxml
        raise ImportError("defusedxml is required to read uploaded xlsx files safely")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
    except Exception as exc:  # a parser's error on a bad upload, whichever it is
        log.info("unreadable xlsx upload: %s", type(exc).__name__)
        raise UnreadableFile("无法读取该 xlsx 文件，请用 Excel/WPS 另存为 .xlsx 后重试") from None
    return _Stream(ws.iter_rows(values_only=True), wb.close)


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFile("无法读取该 xlsx 文件，请用 Excel/WPS 另存为 .xlsx 后重试") from None
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ENTRIES or unpacked > MAX_UNPACKED or unpacked > MAX_RATIO * max(len(data), 1024):
        raise UnreadableFile("文件解压后过大或结构异常，请确认是普通的 xlsx 表格（一次最多 20000 行）")


def _csv(data: bytes):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("无法识别 csv 文件的编码（请使用 UTF-8 或 GBK）")
    return _Stream(csv.reader(io.StringIO(text)), None)


class _Stream:
    """Rows one at a time; a parser's error while reading is the user's file, not a crash."""

    def __init__(self, rows, close):
        self._rows, self._close = iter(rows), close

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return list(next(self._rows))
        except StopIteration:
            raise
        except UnreadableFile:
            raise
        except Exception as exc:
            log.info("unreadable upload row: %s", type(exc).__name__)
            raise UnreadableFile("文件内容无法解析（格式损坏或含有不安全的 XML），请另存为 .xlsx/.csv 后重试") from None

    def close(self):
        if self._close is not None:
            self._close()
