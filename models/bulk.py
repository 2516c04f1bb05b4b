"""Set-based statements for batches (case intake): multi-row INSERT, `IN (…)`
lookups and batched UPDATE, with SQL text built once per process.

Compiling a 1000-row `insert_many` with peewee's query builder costs several
times what the database spends running it (one Python node per value), so the
batch path writes SQL text from the models' metadata and passes values through
each field's `db_value`, as `models.db.insert_row` does for single rows.
Statements are split to stay under SQLite's bound-variable limit (999 before
3.32, 32766 after; read from the connection). ON CONFLICT needs SQLite 3.24.
Errors are peewee's.
"""

import datetime as dt
import json
import sqlite3

from peewee import FIELD
from peewee import DateTimeField
from peewee import Field
from peewee import ForeignKeyField
from peewee import IntegerField
from peewee import PostgresqlDatabase
from peewee import _StringField

from .db import db
from .db import is_postgres

MAX_ROWS = 1000  # rows per multi-row INSERT: bigger statements buy nothing measurable
PG_VARIABLES = 32767  # psycopg2 binds client-side; this only keeps one statement moderate

_limit: int | None = None
_SQL: dict = {}


def max_variables() -> int:
    """Bound variables one statement may carry on the bound database."""
    global _limit
    if is_postgres():
        return PG_VARIABLES
    if _limit is None:
        try:
            _limit = db.connection().getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except AttributeError:  # Python < 3.11: assume the oldest default
            _limit = 999
    return _limit


def _column(model, name: str) -> str:
    return f'"{model._meta.fields[name].column_name}"'


def _table(model) -> str:
    return f'"{model._meta.table_name}"'


class _Never:
    """No value is of this type: a column whose every value goes through its `db_value`."""


def _passed_through(field) -> type:
    """The type whose values `field.db_value` returns unchanged (None too), or `_Never`.

    Only peewee's own conversions qualify: a text, integer or datetime field, or a foreign
    key to one; a field class that overrides `db_value` or `adapt` (an encrypted one) never."""
    if isinstance(field, ForeignKeyField):
        return _passed_through(field.rel_field) if type(field).db_value is ForeignKeyField.db_value else _Never
    if type(field).db_value is not Field.db_value:
        return _Never
    adapt = type(field).adapt
    for cls, kind in ((_StringField, str), (IntegerField, int), (DateTimeField, dt.datetime)):
        if adapt is cls.adapt:
            return kind
    return _Never


def to_db(model, columns: tuple, rows: list) -> list[tuple]:
    """Rows of Python values (in the order of `columns`, field names) as the database stores
    them, through each field's `db_value` (foreign keys to ids, personal data encrypted).

    A value that `db_value` would return unchanged (a str for a text field, an int for an
    integer or a foreign key, a datetime, None) is taken as it is, without the call: a batch
    of 1000 cases is 19,000 values, most of them such."""
    key = ("to_db", model, columns)
    converters = _SQL.get(key)
    if converters is None:
        fields = [model._meta.fields[name] for name in columns]
        converters = _SQL[key] = tuple((field.db_value, _passed_through(field)) for field in fields)
    return [
        tuple(
            [
                value if value is None or type(value) is kind else convert(value)
                for (convert, kind), value in zip(converters, row, strict=True)
            ]
        )
        for row in rows
    ]


# A column's PostgreSQL type by peewee's field type, without a length: an explicit cast to
# varchar(n) would cut a long value where the INSERT's own assignment refuses it.
_PG_TYPES = {**FIELD, **PostgresqlDatabase.field_types, "AUTO": "INTEGER", "BIGAUTO": "BIGINT", "CHAR": "TEXT"}


def _pg_type(field) -> str:
    return _PG_TYPES.get(field.field_type, field.field_type)


def _pg_statements(model, columns: tuple, rows: list, tail: str):
    """(PostgreSQL) INSERTs of `rows` as one JSON parameter each, an array of arrays read by
    `jsonb_array_elements`, each value cast to its column's type. A statement of 1000 rows ×
    20 columns was 20,000 literals for the server to parse and the driver to quote; one JSON
    text is parsed in C. Arrays, not objects (`json_populate_recordset`): no key per value to
    build and encode here (a batch of 1000 cases: 11 → 4 ms). jsonb, not json: `->>` on a
    json element parses its text again for every column (45 ms for that batch on the
    server; jsonb 8 ms, objects 10 ms). Yields (sql, params) per MAX_ROWS rows."""
    key = ("json", model, columns, tail)
    sql = _SQL.get(key)
    if sql is None:
        fields = [model._meta.fields[name] for name in columns]
        names = ", ".join(_column(model, name) for name in columns)
        values = ", ".join(f"(r->>{i})::{_pg_type(field)}" for i, field in enumerate(fields))
        sql = _SQL[key] = (
            f"INSERT INTO {_table(model)} ({names}) SELECT {values} "  # noqa: S608 - model metadata
            f"FROM jsonb_array_elements(%s::jsonb) AS r{tail}"
        )
    for start in range(0, len(rows), MAX_ROWS):
        yield sql, [json.dumps(rows[start : start + MAX_ROWS], default=_json_value)]


def _sqlite_statements(model, columns: tuple, rows: list, tail: str):
    """(SQL, params) of multi-row INSERTs of `rows` then `tail`, as many rows per statement as
    SQLite's variable limit allows; the statement's head and row group built once per shape."""
    key = ("sqlite-insert", model, columns, db.obj.param)
    parts = _SQL.get(key)
    if parts is None:
        names = ", ".join(_column(model, name) for name in columns)
        head = f"INSERT INTO {_table(model)} ({names}) VALUES "  # noqa: S608 - model metadata
        parts = _SQL[key] = (head, "(" + ", ".join([db.obj.param] * len(columns)) + ")")
    head, group = parts
    per_statement = max(1, min(MAX_ROWS, max_variables() // len(columns)))
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        yield head + ", ".join([group] * len(chunk)) + tail, [value for row in chunk for value in row]


def _statements(model, columns: tuple, rows: list, tail: str):
    return (_pg_statements if is_postgres() else _sqlite_statements)(model, columns, rows, tail)


def _json_value(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"no JSON form for {type(value).__name__}")


def insert_rows(model, columns: tuple, rows: list, unique: tuple = ()) -> None:
    """INSERT `rows` (tuples from `to_db`, in the order of `columns`) in as few statements
    as the variable limit allows. With `unique` (the columns of a unique key), a row whose
    key is taken is skipped (ON CONFLICT … DO NOTHING: PostgreSQL first waits for a
    concurrent transaction holding that key to end); any other violation raises."""
    if not rows:
        return
    target = ", ".join(_column(model, name) for name in unique)
    for sql, params in _statements(model, columns, rows, f" ON CONFLICT ({target}) DO NOTHING" if unique else ""):
        db.execute_sql(sql, params)


def insert_returning(model, columns: tuple, rows: list, returning: tuple) -> list[tuple]:
    """INSERT `rows` (tuples from `to_db`) skipping any that breaks a unique key (ON CONFLICT
    DO NOTHING: PostgreSQL first waits for a concurrent transaction holding that key); returns
    the `returning` columns of the rows inserted (SQLite ≥ 3.35 and PostgreSQL: RETURNING)."""
    if not rows:
        return []
    tail = " ON CONFLICT DO NOTHING RETURNING " + ", ".join(_column(model, name) for name in returning)
    return [row for sql, params in _statements(model, columns, rows, tail) for row in db.execute_sql(sql, params)]


def build(model, names: tuple, values):
    """A model instance from a row of database values (of the fields `names`), built as peewee's
    cursor does but without a descriptor call per field: each value through its field's
    `python_value`, nothing dirty. For chunks of rows read on every run of a job."""
    fields = model._meta.fields
    obj = model(__no_default__=True)
    obj.__data__ = {name: fields[name].python_value(value) for name, value in zip(names, values, strict=True)}
    return obj


def select_in(model, columns: tuple, key: str, values: list, equal: tuple = ()) -> list:
    """[(columns…)] of the rows whose `key` is one of `values` (chunked), and whose
    columns in `equal` ((name, value), …) hold those values."""
    if not values:
        return []
    names = tuple(name for name, _ in equal)
    sql_key = ("select", model, columns, key, names, db.obj.param)
    head = _SQL.get(sql_key)
    if head is None:
        param = db.obj.param
        conditions = "".join(f"{_column(model, name)} = {param} AND " for name in names)
        selected = ", ".join(_column(model, name) for name in columns)
        head = _SQL[sql_key] = f"SELECT {selected} FROM {_table(model)} WHERE {conditions}{_column(model, key)} IN ("  # noqa: S608 - model metadata
    fixed = [model._meta.fields[name].db_value(value) for name, value in equal]
    convert = model._meta.fields[key].db_value
    per_statement = max(1, max_variables() - len(fixed))
    found = []
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        marks = ", ".join([db.obj.param] * len(chunk))
        cursor = db.execute_sql(head + marks + ")", [*fixed, *(convert(value) for value in chunk)])
        found.extend(cursor.fetchall())
    return found


def update_rows(model, columns: tuple, rows: list) -> None:
    """UPDATE each row by id: `rows` are (id, values…) tuples, values in the order of `columns`.
    One prepared statement per row (the driver caches it): re-posted cases are the rare case."""
    if not rows:
        return
    key = ("update", model, columns, db.obj.param)
    sql = _SQL.get(key)
    if sql is None:
        param = db.obj.param
        sets = ", ".join(f"{_column(model, name)} = {param}" for name in columns)
        sql = _SQL[key] = f'UPDATE {_table(model)} SET {sets} WHERE "{model._meta.primary_key.column_name}" = {param}'  # noqa: S608
    converters = [model._meta.fields[name].db_value for name in columns]
    for row_id, *values in rows:
        db.execute_sql(sql, [*(convert(value) for convert, value in zip(converters, values, strict=True)), row_id])


class Raw:
    """An `update_by_id` value that is SQL over the row's columns, with ? for its parameters
    (written with the field's db_value), e.g. Raw('COALESCE("first_sent_at", ?)', at)."""

    def __init__(self, sql: str, *params):
        self.sql, self.params = sql, params


def update_by_id(
    model, ids: list, constant: dict, per_row: dict | None = None, increment=None, where=None, key: str | None = None
) -> None:
    """UPDATE the rows `ids` (of the primary key, or of the field `key`): the `constant`
    {field: value} on all of them — a value may be an expression of SQL text over the
    row's columns, `Raw("…")` —, each field of `per_row` {field: [value per id]} row by row
    (a CASE on the id), `increment` (a field name) + 1, only where `where` (field, value)
    holds; one statement per MAX_ROWS ids."""
    if not ids:
        return
    p = db.obj.param
    pk = _column(model, key) if key else f'"{model._meta.primary_key.column_name}"'
    fields = model._meta.fields
    per_row = per_row or {}
    step = min(MAX_ROWS, max(1, (max_variables() - len(constant) - 1) // (1 + 2 * len(per_row))))
    for start in range(0, len(ids), step):
        part = ids[start : start + step]
        sets, params = [], []
        for name, value in constant.items():
            if isinstance(value, Raw):
                sets.append(f"{_column(model, name)} = {value.sql.replace('?', p)}")
                params += [fields[name].db_value(v) for v in value.params]
                continue
            sets.append(f"{_column(model, name)} = {p}")
            params.append(fields[name].db_value(value))
        for name, values in per_row.items():
            convert = fields[name].db_value
            sets.append(f"{_column(model, name)} = CASE {pk} " + " ".join([f"WHEN {p} THEN {p}"] * len(part)) + " END")
            params += [
                v
                for row_id, value in zip(part, values[start : start + len(part)], strict=True)
                for v in (row_id, convert(value))
            ]
        if increment:
            sets.append(f"{_column(model, increment)} = {_column(model, increment)} + 1")
        sql = f"UPDATE {_table(model)} SET {', '.join(sets)} WHERE {pk} IN ({', '.join([p] * len(part))})"  # noqa: S608
        params += part
        if where is not None:
            sql += f" AND {_column(model, where[0])} = {p}"
            params.append(fields[where[0]].db_value(where[1]))
        db.execute_sql(sql, params)
