"""Writing xlsx safely: a text cell that a spreadsheet would run as a formula is kept as text.

openpyxl (8 MB of a web worker's memory) is imported when a sheet is written, not at start."""

import io

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_COLOR = "DCE6F1"


def new_workbook():
    """An empty openpyxl Workbook."""
    from openpyxl import Workbook

    return Workbook()


def safe(value):
    """Strings that start like a formula get a leading quote (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_sheet(ws, title: str, header: list[str], rows: list[list], note: str = "") -> None:
    """A title row, an optional note row, a bold header, then the rows; percentages as numbers with %."""
    from openpyxl.styles import Alignment
    from openpyxl.styles import Font
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([safe(title)])
    ws["A1"].font = Font(bold=True, size=13)
    if note:
        ws.append([safe(note)])
    ws.append([safe(h) for h in header])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_COLOR)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in rows:
        ws.append([safe(v) for v in row])
    for index, name in enumerate(header, 1):
        width = max([len(str(name)) * 2] + [len(str(r[index - 1])) * 2 for r in rows if index - 1 < len(r)] + [8])
        ws.column_dimensions[get_column_letter(index)].width = min(width, 40)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def to_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
