"""models/bulk.py: the rows a batch writes are the rows peewee would write, on both backends.

`to_db` skips `db_value` only for values it would return unchanged; the PostgreSQL INSERT
reads its rows from one JSON array and casts each value to its column's type."""

import datetime as dt

import pytest
from peewee import DataError

from models import Case
from models import Outbox
from models import db
from models.bulk import insert_returning
from models.bulk import insert_rows
from models.bulk import to_db
from models.db import is_postgres
from models.pii import EncryptedField

CASE_COLUMNS = tuple(field.name for field in Case._meta.sorted_fields if field.name != "id")
AT = dt.datetime(2026, 12, 2, 9, 30, 5)


def _case_values(make, case_no: str, **changes) -> tuple:
    values = {
        "case_no": case_no,
        "item": make.id_card,  # a model instance: its id
        "department": make.police.id,  # an id
        "hall": make.hall,
        "window": None,
        "staff": make.officer.id,
        "mode": "offline",
        "status": "completed",
        "accepted_at": "2026-12-02 09:00:00",  # text: parsed, as peewee would
        "completed_at": AT,
        "applicant_name": "张三",
        "applicant_phone": "13800138000",
        "applicant_phone_hash": "a" * 64,
        "applicant_type": "person",
        "applicant_id_number": None,
        "rating_code": "ABCDEFGHJ",
        "created_at": AT,
        "updated_at": AT,
        **changes,
    }
    return tuple(values[name] for name in CASE_COLUMNS)


def test_to_db_gives_what_each_fields_db_value_gives(make, ctx):
    row = _case_values(make, "BULK-1")
    (fast,) = to_db(Case, CASE_COLUMNS, [row])
    for name, value, got in zip(CASE_COLUMNS, row, fast, strict=True):
        field = Case._meta.fields[name]
        if isinstance(field, EncryptedField) and value is not None:
            # Encrypted with a fresh nonce each time: compare what it opens to.
            assert got != value and field.python_value(got) == value
        else:
            assert got == field.db_value(value), name
    assert fast[CASE_COLUMNS.index("item")] == make.id_card.id
    assert fast[CASE_COLUMNS.index("hall")] == make.hall.id
    assert fast[CASE_COLUMNS.index("accepted_at")] == dt.datetime(2026, 12, 2, 9, 0)
    # A bool is an int to Python, not to the column: converted, not passed through.
    (outbox,) = to_db(Outbox, ("kind", "attempts"), [("x", True)])
    assert outbox == ("x", 1) and type(outbox[1]) is int


def test_bulk_rows_are_stored_as_a_single_insert_stores_them(make, ctx):
    with db.atomic():
        rows = to_db(Case, CASE_COLUMNS, [_case_values(make, "BULK-2", rating_code="BCDEFGHJK")])
        returned = insert_returning(Case, CASE_COLUMNS, rows, ("case_no", "id"))
    (case_no, case_id), *_ = returned
    case = Case.get_by_id(case_id)
    assert case_no == "BULK-2" == case.case_no
    assert (case.item_id, case.department_id, case.hall_id, case.window_id, case.staff_id) == (
        make.id_card.id,
        make.police.id,
        make.hall.id,
        None,
        make.officer.id,
    )
    assert (case.accepted_at, case.completed_at, case.created_at) == (dt.datetime(2026, 12, 2, 9, 0), AT, AT)
    assert (case.applicant_name, case.applicant_phone, case.applicant_id_number) == ("张三", "13800138000", None)
    # Text with quotes, backslashes and characters beyond the BMP arrives as it was.
    odd = 'a "quoted" \\ back\\slash 𠀀 \n line'
    columns = ("kind", "dedupe_key", "payload", "state", "attempts", "available_at", "created_at")
    with db.atomic():
        insert_rows(Outbox, columns, to_db(Outbox, columns, [("test", "odd:1", odd, "pending", 0, AT, AT)]))
    assert Outbox.get(Outbox.dedupe_key == "odd:1").payload == odd


def test_a_value_too_long_for_its_column_is_never_cut(make, ctx):
    """The PostgreSQL INSERT casts to the column's type without its length, so a varchar(16)
    value of 17 characters fails there as a single INSERT would; SQLite, which does not
    check lengths, stores it whole."""
    rows = to_db(Case, CASE_COLUMNS, [_case_values(make, "BULK-3", rating_code="X" * 17)])
    if is_postgres():
        with pytest.raises(DataError), db.atomic():
            insert_returning(Case, CASE_COLUMNS, rows, ("case_no", "id"))
        assert not Case.select().where(Case.case_no == "BULK-3").exists()
    else:
        with db.atomic():
            insert_returning(Case, CASE_COLUMNS, rows, ("case_no", "id"))
        assert Case.get(Case.case_no == "BULK-3").rating_code == "X" * 17
