"""Wiring the database into the web app: bind at start-up, a pooled
connection per request."""

from models.db import db
from models.db import init_database


def init_app(app, database_settings) -> None:
    init_database(database_settings.url, database_settings.pool_size)

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()
