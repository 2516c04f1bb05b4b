"""Wiring the database into the web app: bind at start-up, a pooled
connection per request, and one retry when the connection is lost.

PostgreSQL connections die together (a failover, a restart, an operator's
`pg_terminate_backend`); each pooled one used to fail its next request with a
500. Now a request whose connection is lost before anything of it can have
been stored (no COMMIT sent, no autocommit write: `models.pools`) runs once
more, from the start, on a fresh connection, the idle ones discarded; any
other lost connection — a second loss, or one after a COMMIT was sent, whose
outcome is unknown — answers 503 with Retry-After, never a 500.
"""

import logging

from flask import request

from models.db import db
from models.db import init_database
from models.pools import connection_lost

log = logging.getLogger(__name__)

_RETRIED = "hcp.db_retried"


class RetryOnFreshConnection(Exception):
    """Raised by the error handlers to run the request again (see `init_app`)."""


def init_app(app, database_settings) -> None:
    init_database(database_settings.url, database_settings.pool_size, database_settings.prepared_statements)

    @app.before_request
    def _connect():
        start_unit = getattr(db.obj, "start_unit", None)
        if start_unit is not None:
            start_unit()
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    dispatch = app.full_dispatch_request

    def dispatch_with_one_retry():
        try:
            return dispatch()
        except RetryOnFreshConnection:
            drop_connection()
            for upload in request.files.values():  # the body is kept; an upload is read again from its start
                upload.stream.seek(0)
            return dispatch()

    app.full_dispatch_request = dispatch_with_one_retry


def lost(exc: Exception) -> bool:
    """For the error handlers: whether `exc` is a lost connection. When the request may
    run again, this raises `RetryOnFreshConnection`; otherwise the caller answers 503."""
    if not connection_lost(exc):
        return False
    written = getattr(db.obj, "may_have_written", lambda: True)()
    if not written and not request.environ.get(_RETRIED):
        request.environ[_RETRIED] = True
        log.warning("database connection lost on %s %s: running it again on a fresh one", request.method, request.path)
        raise RetryOnFreshConnection from exc
    log.warning(
        "database connection lost on %s %s (%s): 503",
        request.method,
        request.path,
        "a write may have been stored" if written else "lost again",
    )
    drop_connection()
    return True


def drop_connection() -> None:
    """Close this request's connection without pooling it, and the idle ones with it."""
    database = db.obj
    try:
        while database.transaction_depth():
            database.pop_transaction()
        if not database.is_closed():
            database.close()
    except Exception:  # closing a dead connection may complain; it is gone either way
        log.debug("closing a lost connection", exc_info=True)
        database._state.reset()
    discard = getattr(database, "discard_idle", None)
    if discard is not None:
        discard()
