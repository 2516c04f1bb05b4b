"""The product as the benchmarks drive it: a migrated database with the Huyi
master data (demo seed), one department API key, and its gunicorn server."""

import os
import random
from dataclasses import dataclass

from peewee import fn

from .common import RESULTS
from .common import Server

PRODUCT_APP = "app:create_app()"


@dataclass
class Fixture:
    url: str
    api_key: str
    dept_code: str
    window_codes: list[str]
    item_codes: list[str]
    labels_by_level: dict[int, list[str]]


def bind(url: str):
    from models import init_database

    return init_database(url)


def prepare(url: str) -> Fixture:
    """Migrate, load the master data and issue a key for the department with the most windows."""
    from demo.seed import seed_master_data
    from models import ApiKey
    from models import Department
    from models import Item
    from models import LabelSet
    from models import Window
    from models import db
    from models.migrate import migrate

    database = bind(url)
    migrate()
    with db.connection_context():
        if not Department.select().exists():
            with db.atomic():
                seed_master_data(random.Random(2026))
        dept_id = (
            Window.select(Window.department)
            .group_by(Window.department)
            .order_by(fn.COUNT(Window.id).desc())
            .limit(1)
            .scalar()
        )
        department = Department.get_by_id(dept_id)
        _, key = ApiKey.issue(department, "bench")
        windows = [w.code for w in Window.select().where(Window.department == department).order_by(Window.id)]
        items = [i.code for i in Item.select().where(Item.department == department).order_by(Item.id)]
        labels = LabelSet.current().codes_by_level()
    database.close_all()
    return Fixture(url, key, department.code, windows, items, {k: list(v) for k, v in labels.items()})


def server_env(url: str) -> dict:
    """The product's configuration for a benchmark server: the defaults, but for the database, and
    without the per-key rate limits that a load generator from one key trips by design. The
    fraud screen runs as configured by default: the load spreads over 10,000 tablet ids
    (about one rating per tablet per run, as at a real window), so nothing is flagged."""
    os.makedirs(RESULTS, exist_ok=True)
    config = os.path.join(RESULTS, "empty-config.toml")
    with open(config, "w") as fh:
        fh.write("# benchmarks: built-in defaults\n")
    return {
        "HCP_CONFIG": config,
        "HCP_DATABASE_URL": url,
        "HCP_SECRET_KEY": "bench-" + "x" * 32,
        "HCP_LIMITS_ENABLED": "false",
    }


def serve(url: str, name: str = "product") -> Server:
    return Server(PRODUCT_APP, server_env(url), name)


def rating_count(url: str, model_name: str = "Rating") -> int:
    """Rows of a model (ratings by default)."""
    import models
    from models import db

    database = bind(url)
    with db.connection_context():
        n = getattr(models, model_name).select().count()
    database.close_all()
    return n


def stored_ids(url: str, model_name: str, ids: list[int]) -> int:
    """How many of `ids` exist as rows of the model (chunked IN lists)."""
    import models
    from models import db

    model = getattr(models, model_name)
    database = bind(url)
    found = 0
    with db.connection_context():
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            found += model.select().where(model.id.in_(chunk)).count()
    database.close_all()
    return found


def settle(url: str) -> None:
    """(PostgreSQL) ANALYZE the tables a setup has just filled. A setup writes tens of
    thousands of rows within a minute of the database's creation, before autovacuum's first
    pass; a live database has its statistics. Without them the planner took a table of
    10,000 rows for a few dozen: the SMS drain's take of 200 pending callbacks sorted all of
    them (17 ms; 0.6 ms after ANALYZE), its prefetch of 200 phones' invitations looped over
    every invitation (34 ms; 11 ms)."""
    if not url.startswith("postgresql"):
        return
    from models import db

    database = bind(url)
    with db.connection_context():
        db.execute_sql("ANALYZE")
    database.close_all()
