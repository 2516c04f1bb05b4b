"""The application factory; `python app.py` serves the embedded default.

python app.py                      # http://127.0.0.1:5000 (env PORT)
flask --app app <command>          # init-db, seed-demo, create-user, …
gunicorn -w 4 'app:create_app()'   # production
"""

import logging
import os
import secrets

from flask import Flask

from core import config


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

    import admin
    import api
    import cases.pii_cli
    import core.cache
    import core.cli
    import core.csrf
    import core.errors
    import core.health
    import core.limits
    import core.sessions
    import jobs.cli
    import models.pii
    import models.web
    import proof
    import reports.cli
    import sms.cli
    import sms.views
    import upstream.cli
    import web.public
    import web.rate
    import wechat.api
    import wechat.qr

    models.pii.configure(settings.pii, app.instance_path)
    core.cache.clear_all()  # per-process caches never outlive the app (tests build many)
    models.web.init_app(app, settings.database)
    core.sessions.init_app(app)
    core.errors.init_app(app)
    core.cli.init_app(app)
    jobs.cli.init_app(app)
    upstream.cli.init_app(app)
    cases.pii_cli.init_app(app)
    app.register_blueprint(core.health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(sms.views.bp)
    app.register_blueprint(sms.cli.cli)
    app.register_blueprint(wechat.api.bp)
    app.register_blueprint(web.rate.bp)
    app.register_blueprint(wechat.qr.bp)
    admin.init_app(app)
    app.register_blueprint(web.public.bp)
    reports.cli.init_app(app)
    proof.init_app(app)
    core.csrf.init_app(app)  # last: it exempts the JSON blueprints by name
    core.limits.init_app(app)  # after the blueprints: limits attach to them by name
    return app


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
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))


if __name__ == "__main__":
    main()
