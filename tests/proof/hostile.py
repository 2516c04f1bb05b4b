"""The hostile values of the route walk, the request class that records which
parameters a view reads, and a parser of the forms a page offers."""

import io
import zipfile
from html.parser import HTMLParser

from werkzeug.datastructures import ImmutableMultiDict

# Values for a query, form or path parameter: numbers in other scripts and beyond any
# column, extreme dates, control characters, injections, very long text.
HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "²",
    "١٢",
    "５",
    "①",
    "9" * 30,
    "2147483648",
    "9223372036854775808",
    "1e9",
    "1.5",
    "NaN",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\r\nSet-Cookie: x=1",
    "../../etc/passwd",
    "' OR '1'='1' --",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "0001-01-01",
    "9999-12-31",
    "0000-00",
    "9999-12",
    "2026-13-45",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "\u202e\ufeff🙂",
    "x" * 5000,
    "{}",
]
# The sharpest of them, for every further role on a route the first role walked fully.
SHARP = ["²", "9" * 30, "9223372036854775808", "\x00", "9999-12-31", "0001-01-01T00:00:00+14:00", "x" * 5000]

# Headers a public route reads: credentials, the client address behind a proxy, a cached copy.
HEADERS = [
    ("Authorization", value)
    for value in ("Bearer ", "Bearer hcp__", "Bearer hcp_x_" + "y" * 5000, "Bearer ²", "Basic Og==", "Bearer a b c")
] + [
    ("X-Forwarded-For", "1.2.3.4, " + "9" * 300),
    ("X-Forwarded-For", "¹²³.0.0.1"),
    ("If-None-Match", "*"),
    ("If-None-Match", '"' + "a" * 5000 + '"'),
    ("If-None-Match", 'W/"x", "y", garbage'),
]

# Values of a JSON field: the strings above and every other JSON type at its edges.
JSON_VALUES = HOSTILE + [None, True, -1, 2**70, 1.5e308, [], {}, ["x"] * 3, {"a": {"b": {"c": 1}}}]

# Whole bodies of a JSON route: not JSON, too deep, too wide.
RAW_BODIES = [
    b"",
    b"\xff\xfe\x00",
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"[" * 33 + b"]" * 33,
    b"NaN",
    b'{"level": Infinity}',
    b"1" * 5000,
    b'"x"',
    b"null",
    b"[]",
    b"{}",
    b'{"\\u0000": "\\ud800"}',
]


def xlsx_with(sheet_xml: bytes) -> bytes:
    """A minimal workbook whose one sheet is `sheet_xml` (hostile sheets: XXE, malformed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="xl/workbook.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
            "</Relationships>",
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buffer.getvalue()


SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>'
XXE_SHEET = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>&x;</t></is></c></row></sheetData></worksheet>'
)

# Files for an upload field.
FILES = [
    ("x.xlsx", b"PK\x03\x04 not a zip"),
    ("x.xlsx", xlsx_with(XXE_SHEET)),
    ("x.xlsx", xlsx_with(b"<worksheet><sheetData><row><c")),
    ("x.xlsx", xlsx_with(SHEET % (b'<row r="1"><c r="A1" t="inlineStr"><is><t>a\x00b</t></is></c></row>'))),
    ("x.csv", "事项编码,事项名称,事项类型,实施部门编码\nA\x00,名,公共服务,GAJ\n".encode()),
    ("x.csv", b"\xff\xfe\x00\x00garbage"),
    ("x.exe", b"MZ"),
    ("", b""),
]


class RecordingArgs(ImmutableMultiDict):
    """Query and form parameters that note every name a view asks for."""

    read: set = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        RecordingArgs.read.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        RecordingArgs.read.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        RecordingArgs.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.read.add(key)
        return super().__contains__(key)


def recording_request_class(base):
    return type("RecordingRequest", (base,), {"parameter_storage_class": RecordingArgs})


class Forms(HTMLParser):
    """Every form of a page: (method, action or None, {field: default value}, file fields)."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._current = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._current = {"method": (a.get("method") or "get").upper(), "action": a.get("action"), "fields": {}}
            self._current["files"] = []
            return
        if self._current is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                self._current["files"].append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a or name not in self._current["fields"]:
                    self._current["fields"][name] = a.get("value", "on")
            elif kind not in ("submit", "button", "reset"):
                self._current["fields"][name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self._current["fields"].setdefault(name, "")
        elif tag == "option" and self._select:
            fields = self._current["fields"]
            if not fields[self._select] or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._current["fields"][name] = ""

    def handle_data(self, data):
        if self._current is not None and self._textarea:
            self._current["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms
