"""The application factory and every command; `python app.py` serves the embedded default.

python app.py                      # http://127.0.0.1:5000 (env PORT)
flask --app app <command>          # init-db, seed-demo, create-user, …
gunicorn -w 4 'app:create_app()'   # production

The one place where the layers meet: the channels' blueprints, the operations
wiring (ops/) and every CLI command are registered here and nowhere else.
"""

import gc
import logging
import os
import secrets

from flask import Flask

import admin
import api
import ops
import sms.views
import web.public
import web.rate
import wechat.api
import wechat.qr
from core import cache
from core import config
from core import crypto
from core.loglines import RequestHandler
from demo.cli import demo_users_command
from demo.cli import seed_demo_command
from edge import params
from jobs.cli import jobs_cli
from ops import database
from ops import health
from ops.cli import create_api_key_command
from ops.cli import create_user_command
from ops.cli import init_db_command
from ops.pii_cli import pii_cli
from ops.report_cli import report
from sms.cli import sms_cli
from upstream.cli import upstream_cli

COMMANDS = (
    init_db_command,
    seed_demo_command,
    demo_users_command,
    create_user_command,
    create_api_key_command,
    jobs_cli,
    sms_cli,
    upstream_cli,
    report,
    pii_cli,
)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app from the validated settings (`overrides` wins; tests use it)."""
    settings = config.load(overrides)
    app = Flask(__name__, instance_path=os.path.abspath("instance"))
    app.config["SETTINGS"] = settings
    app.config["SECRET_KEY"] = settings.app.secret_key or _local_secret_key(app.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = settings.app.max_body_kb * 1024
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    logging.basicConfig(level=settings.app.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    params.init_app(app)  # before the blueprints: their routes compile with its converters
    crypto.configure(settings.pii, app.instance_path)
    cache.clear_all()  # per-process caches never outlive the app (tests build many)
    database.init_app(app, settings.database)
    for blueprint in (health.bp, api.bp, sms.views.bp, wechat.api.bp, web.rate.bp, wechat.qr.bp, web.public.bp):
        app.register_blueprint(blueprint)
    admin.init_app(app)
    ops.init_app(app)  # last: CSRF exemptions and rate limits attach to the blueprints by name
    for command in COMMANDS:
        app.cli.add_command(command)
    if settings.app.freeze_heap:
        _freeze_heap()
    return app


_heap_frozen = False


def _freeze_heap() -> None:
    """Once per process, when its app is built (a web worker, the scheduler, a lane worker):
    what start-up made — modules, the app, its caches — is moved out of the garbage collector's
    generations, so that a full collection walks only what the work creates. Those walks of the
    start-up heap were 6–7 % of the CPU of a batch intake or a push to the city (bench.cpu)."""
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    gc.collect()  # start-up's own garbage is freed, not kept for good
    gc.freeze()


def _local_secret_key(instance_path: str) -> str:
    """Without a configured secret, keep one in the instance folder (local runs only)."""
    path = os.path.join(instance_path, "secret_key")
    os.makedirs(instance_path, exist_ok=True)
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


def main() -> None:
    from models.migrate import migrate

    app = create_app()
    with app.app_context():
        migrate()
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")), request_handler=RequestHandler)


if __name__ == "__main__":
    main()
