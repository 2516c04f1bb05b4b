"""The import runner shared by every kind of import."""

import hashlib
from dataclasses import dataclass
from dataclasses import field

from core.errors import ApiError
from models import AuditLog
from models import db

from . import catalogue
from . import master
from . import paper
from .reader import UnreadableFile
from .reader import read_rows

KINDS = {
    "catalogue": catalogue,
    "master": master,
    "paper": paper,
}


@dataclass
class ImportReport:
    kind: str
    title: str
    rows: int = 0
    written: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)  # (row, column, message)

    @property
    def ok(self) -> bool:
        return not self.problems


class Problems:
    """Collects (row, column, message); a module's `validate` adds to it."""

    def __init__(self):
        self.items = []

    def add(self, row, column: str, message: str) -> None:
        self.items.append((row, column, message))


def run(kind: str, filename: str, data: bytes, actor: str, **options) -> ImportReport:
    module = KINDS[kind]
    report = ImportReport(kind, module.TITLE)
    try:
        header, rows = read_rows(filename, data)
    except UnreadableFile as exc:
        report.problems.append(("—", "—", str(exc)))
        return report
    report.rows = len(rows)
    problems = Problems()
    missing = [c for c in module.REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.add(1, "、".join(missing), "缺少必需的列（请使用导入模板）")
        report.problems = problems.items
        return report
    if not rows:
        problems.add("—", "—", "文件中没有数据行")
        report.problems = problems.items
        return report
    digest = hashlib.sha256(data).hexdigest()
    if getattr(module, "ONCE", False) and AuditLog.select().where(AuditLog.target == f"import:{digest}").exists():
        problems.add("—", "—", "该文件已经导入过，不能重复导入")
        report.problems = problems.items
        return report
    plan = module.validate(rows, problems, **options)
    if problems.items:
        report.problems = sorted(problems.items, key=lambda p: p[0] if isinstance(p[0], int) else 0)
        return report
    try:
        with db.atomic():
            report.written = module.write(plan, batch=digest[:12], actor=actor)
            AuditLog.record(actor, f"import.{kind}", f"import:{digest}", file=filename[:100], **report.written)
    except ApiError as exc:
        # A refusal from the rating core: nothing of the file stays.
        row = getattr(exc, "row", "—")
        report.written = {}
        report.problems = [(row, "—", exc.message)]
    return report
