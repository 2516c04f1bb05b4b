"""The one database handle, bound at start-up to `database.url`.

SQLite (the embedded default) and PostgreSQL (production) run the same code;
the proxy is bound once by `init_database()`. Connections are pooled and
opened explicitly: per request by the web app, by `connection_context()` in
jobs and commands.
"""

import os
from urllib.parse import parse_qsl
from urllib.parse import unquote
from urllib.parse import urlparse

from peewee import DatabaseProxy
from peewee import Model

from .pools import PostgresqlDatabase
from .pools import SqliteDatabase

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "cache_size": -64000,
    # WAL + NORMAL is durable across application crashes; only an OS crash can
    # lose the last transactions (the measured ceiling is 2.5x that of FULL).
    "synchronous": "normal",
    # Checkpoints run in a background thread of each process, off the writers' queue
    # (models/pools.py); SQLite's own, inside a COMMIT, only past this many WAL pages.
    "wal_autocheckpoint": 4000,
}


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url: str, pool_size: int = 16, prepared_statements: bool = True):
    """A pooled peewee database for a `sqlite:///path` or `postgresql://` URL (PostgreSQL: with
    its hot paths' SQL as server-side prepared statements unless `prepared_statements` is off)."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path)
        if not path or path == ":memory:":
            raise ValueError("database.url: an in-memory SQLite database is not supported; use a file")
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        return SqliteDatabase(
            path,
            pragmas=SQLITE_PRAGMAS,
            timeout=10,
            max_connections=pool_size,
            stale_timeout=300,
            check_same_thread=False,
            autoconnect=False,
            # Every transaction takes the write lock at BEGIN: a deferred one that
            # reads first cannot upgrade once another writer committed (WAL's
            # SQLITE_BUSY_SNAPSHOT), and would fail instead of waiting.
            lock_type="IMMEDIATE",
        )
    options = dict(parse_qsl(parsed.query))
    return PostgresqlDatabase(
        unquote(parsed.path.lstrip("/")) or "postgres",
        user=unquote(parsed.username) if parsed.username else None,
        password=unquote(parsed.password) if parsed.password else None,
        host=parsed.hostname,
        port=parsed.port or 5432,
        max_connections=pool_size,
        stale_timeout=300,
        autoconnect=False,
        connect_timeout=int(options.pop("connect_timeout", 5)),
        prepare=prepared_statements,
        **options,
    )


def init_database(url: str, pool_size: int = 16, prepared_statements: bool = True):
    """Bind the proxy to the database at `url`; returns the database."""
    database = make_database(url, pool_size, prepared_statements)
    current = db.obj
    if current is not None:
        current.close_all()
    db.initialize(database)
    return database


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


_INSERT_SQL: dict = {}
_SQL: dict = {}


def prepared(key: str, build) -> str:
    """SQL text for a hot-path query, built once per process and backend by `build(param_mark)`;
    run it with `db.execute_prepared` (a server-side prepared statement on PostgreSQL)."""
    full = (key, is_postgres())
    sql = _SQL.get(full)
    if sql is None:
        sql = _SQL[full] = build(db.obj.param)
    return sql


def insert_row(model, values: dict, ignore: bool = False, defer: bool = False, extra: tuple | None = None):
    """INSERT one row of `model` from {column: value}; returns its id (None when `ignore`d).
    With `defer` (a row nobody reads back in the transaction, like an outbox row): no id,
    and on PostgreSQL the INSERT travels with the transaction's next statement or COMMIT.
    With `extra` (SQL of a scalar subquery, its parameters): returns (id, its value), read in
    the same statement — the table as it is after the INSERT on SQLite, before it on
    PostgreSQL (a statement's subqueries do not see its own changes there).

    For the hot paths (a rating and its outbox row on every request): the SQL text is
    built once per table, column set and backend and reused, because compiling it with
    peewee's query builder costs more CPU than the database spends running it. Values go
    through each field's `db_value`, as with `Model.insert`; errors are peewee's.
    """
    postgres = is_postgres()
    key = (model, tuple(values), ignore, postgres, defer, extra[0] if extra else None)
    sql = _INSERT_SQL.get(key)
    if sql is None:
        meta = model._meta
        columns = ", ".join(f'"{meta.fields[name].column_name}"' for name in values)
        marks = ", ".join([db.obj.param] * len(values))
        verb = "INSERT OR IGNORE INTO" if ignore and not postgres else "INSERT INTO"
        sql = f'{verb} "{meta.table_name}" ({columns}) VALUES ({marks})'  # noqa: S608 - model metadata
        if ignore and postgres:
            sql += " ON CONFLICT DO NOTHING"
        if (postgres and not defer) or extra:
            sql += f' RETURNING "{meta.primary_key.column_name}"'
        if extra:
            sql += f", ({extra[0]})"
        _INSERT_SQL[key] = sql
    fields = model._meta.fields
    params = [fields[name].db_value(value) for name, value in values.items()]
    if defer:
        db.execute_deferred(sql, params, prepared=True)
        return None
    if extra:
        row = db.execute_prepared(sql, [*params, *extra[1]]).fetchone()
        return (row[0], row[1]) if row else (None, None)
    cursor = db.execute_prepared(sql, params)
    if postgres:
        row = cursor.fetchone()
        return row[0] if row else None
    return cursor.lastrowid if cursor.rowcount else None


def insert_model(row, ignore: bool = False, defer: bool = False):
    """INSERT a new model instance (its Python defaults applied) through `insert_row`; sets its id
    (none with `defer`: a row nobody reads back in the transaction, sent with its next statement).

    For rows written inside every 差评's transaction (ticket, event, audit line, notification)."""
    values = {name: value for name, value in row.__data__.items() if name != row._meta.primary_key.name}
    row.id = insert_row(type(row), values, ignore, defer=defer)
    return row
