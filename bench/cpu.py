"""CPU per operation, in process: the figure that depends least on a shared machine.

    python -m bench.cpu ingest --backend sqlite [-n 3000] [--profile out.prof]
    python -m bench.cpu sms --backend postgresql [-n 2000] [--profile out.prof]
    python -m bench.cpu batch --backend sqlite [-n 10000] [--profile out.prof]   # µs per batch of 1000
    python -m bench.cpu upstream --backend sqlite [-n 20000] [--profile out.prof]  # µs per rating pushed
    python -m bench.cpu batch --backend postgresql --statements    # + the costliest SQL statements

Runs the ingest request (the same bodies as the wrk script: a keyed tablet rating a
window, the demo's level mix, half with a label) through the product's WSGI app and
through the bare ceiling app in this process (werkzeug's test client on both sides,
no HTTP server, no sockets), and prints per request: this process's CPU time, the
PostgreSQL backends' CPU time, and the SQL statements sent (BEGIN/COMMIT not counted).
The sms part stores `n` SmsUp replies (one per invited phone, the demo's level mix) and
times `sms.inbox.process_inbox` draining them in this process (the console provider:
the invitations' SMS are recorded, not sent).
Wall-clock throughput on a 2-core machine shared with other work drifts by tens of
per cent; process CPU time per request drifts by a few.
"""

import argparse
import cProfile
import json
import os
import random
import time

from .common import Target
from .common import log
from .common import postgres_cpu_seconds
from .ingest import LEVEL_MIX


def bodies(fixture, n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    levels = [lvl for lvl, weight in LEVEL_MIX.items() for _ in range(weight)]
    run = f"{time.time():.0f}"
    out = []
    for i in range(n):
        level = rng.choice(levels)
        choices = fixture.labels_by_level.get(level, [])
        labels = [rng.choice(choices)] if choices and rng.random() < 0.5 else []
        body = {
            "channel": "pad",
            "window_code": rng.choice(fixture.window_codes),
            "level": level,
            "labels": labels,
            "device_id": f"cpu-{run}-{i % 5000}",
        }
        out.append(json.dumps(body).encode())
    return out


class Counter:
    """Counts the SQL statements a peewee database sends (as it logs them: BEGIN, COMMIT and
    ROLLBACK not counted; a write deferred to the next round trip counted as one)."""

    def __init__(self, database):
        self.n = 0
        self.shapes: dict = {}  # with --statements: {SQL's first words: [count, seconds]}
        original = database._log_query

        def log_query(sql, params):
            self.n += 1
            return original(sql, params)

        database._log_query = log_query
        if TIME_STATEMENTS:
            execute_sql = database.execute_sql

            def timed_execute_sql(sql, params=None, *args, **kwargs):
                started = time.perf_counter()
                try:
                    return execute_sql(sql, params, *args, **kwargs)
                finally:
                    shape = self.shapes.setdefault(" ".join(sql.split())[:SHAPE_CHARS], [0, 0.0])
                    shape[0] += 1
                    shape[1] += time.perf_counter() - started

            database.execute_sql = timed_execute_sql


# --statements: each statement's wall time (its round trip, the server's work included), by its
# first SHAPE_CHARS characters; what a part's database time is spent on.
TIME_STATEMENTS = False
SHAPE_CHARS = 90


def timed(work, n: int, counter, url: str, profile=None) -> dict:
    """Run `work()` (it returns the statuses it saw) and report per operation, of `n`: this
    process's CPU, the PostgreSQL backends' CPU at `url`, wall time and SQL statements; with a
    `profile` (cProfile), only `work` is profiled."""
    counter.n = 0
    counter.shapes.clear()
    cpu0, pg0, t0 = time.process_time(), postgres_cpu_seconds(url), time.perf_counter()
    if profile is not None:
        profile.enable()
    statuses = work()
    if profile is not None:
        profile.disable()
    return {
        "requests": n,
        "statuses": statuses,
        "cpu_us": (time.process_time() - cpu0) * 1e6 / n,
        "pg_us": (postgres_cpu_seconds(url) - pg0) * 1e6 / n,
        "wall_us": (time.perf_counter() - t0) * 1e6 / n,
        "statements": counter.n / n,
        "shapes": {sql: (count / n, seconds * 1e6 / n) for sql, (count, seconds) in counter.shapes.items()},
    }


def measure(
    client, path: str, headers: dict, payloads: list[bytes], counter, url: str, profile=None, warm=None
) -> dict:
    warm = max(50, len(payloads) // 10) if warm is None else warm
    for body in payloads[:warm]:
        client.post(path, data=body, headers=headers)

    def post_all() -> dict:
        statuses: dict = {}
        for body in payloads[warm:]:
            resp = client.post(path, data=body, headers=headers)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        return statuses

    return timed(post_all, len(payloads) - warm, counter, url, profile)


def ingest(backend: str, n: int, profile_path: str | None, only: str | None) -> dict:
    from . import product

    target, ceiling = Target(backend, "product").create(), Target(backend, "ceiling").create()
    try:
        fixture = product.prepare(target.url)
        payloads = bodies(fixture, n)
        results = {}
        if only in (None, "ceiling"):
            os.environ["BENCH_CEILING_URL"] = ceiling.url
            from . import ceiling_app

            ceiling_app.init_schema()
            counter = Counter(ceiling_app.db)
            results["ceiling"] = measure(
                ceiling_app.app.test_client(),
                "/ratings",
                {"Content-Type": "application/json"},
                payloads,
                counter,
                ceiling.url,
            )
            ceiling_app.db.close_all()
        if only in (None, "product"):
            os.environ.update(product.server_env(target.url))
            from app import create_app
            from models import db

            app = create_app()
            counter = Counter(db.obj)
            prof = cProfile.Profile(time.process_time) if profile_path else None
            headers = {"Authorization": f"Bearer {fixture.api_key}", "Content-Type": "application/json"}
            results["product"] = measure(
                app.test_client(), "/api/v1/ratings", headers, payloads, counter, target.url, prof
            )
            if prof is not None:
                prof.dump_stats(profile_path)
            db.obj.close_all()
    finally:
        target.drop()
        ceiling.drop()
    return results


def batch(backend: str, n: int, profile_path: str | None, only: str | None) -> dict:
    """POST /cases/batch: `n` cases in batches of 1000, product beside the bare insert_many app."""
    from . import product
    from .batch import BATCH
    from .batch import case_payloads

    target, ceiling = Target(backend, "product").create(), Target(backend, "ceiling").create()
    try:
        fixture = product.prepare(target.url)
        results = {}
        for kind in ("ceiling", "product"):
            if only not in (None, kind):
                continue
            payloads = case_payloads(fixture, f"CPU{kind[0].upper()}", n + BATCH)
            bodies = [json.dumps(payloads[i : i + BATCH]).encode() for i in range(0, len(payloads), BATCH)]
            if kind == "ceiling":
                os.environ["BENCH_CEILING_URL"] = ceiling.url
                from . import ceiling_app

                ceiling_app.init_schema()
                database, client, path, url = ceiling_app.db, ceiling_app.app.test_client(), "/cases/batch", ceiling.url
                headers = {"Content-Type": "application/json"}
            else:
                os.environ.update(product.server_env(target.url))
                from app import create_app
                from models import db

                app = create_app()
                database, client, path, url = db.obj, app.test_client(), "/api/v1/cases/batch", target.url
                headers = {"Authorization": f"Bearer {fixture.api_key}", "Content-Type": "application/json"}
            counter = Counter(database)
            prof = cProfile.Profile(time.process_time) if profile_path and kind == "product" else None
            r = measure(client, path, headers, bodies, counter, url, prof, warm=1)
            if prof is not None:
                prof.dump_stats(profile_path)
            results[kind] = {**r, "cases": r["requests"] * BATCH}
            database.close_all()
    finally:
        target.drop()
        ceiling.drop()
    return results


def upstream(backend: str, n: int, profile_path: str | None) -> dict:
    """`upstream.push.push_due` draining a backlog of `n` ratings to the city simulator (its own
    process), in this process, beside the product's client posting the same records."""
    from . import upstream as up

    target = Target(backend, "upstream").create()
    try:
        up.make_backlog(target.url, n)
        sim, config_path = up.start_simulator(target.url, "cpu-upstream")
        try:
            from core import config
            from upstream.client import Client
            from upstream.profile import Profile

            os.environ["HCP_CONFIG"] = config_path
            profile = Profile.from_settings(config.load().upstream)
            records = up.ceiling_records(target.url, profile)
            client = Client(profile)
            cpu0, t0 = time.process_time(), time.perf_counter()
            for i in range(0, len(records), profile.batch_size):
                client.send(records[i : i + profile.batch_size])
            ceiling = {
                "requests": n,
                "statuses": {},
                "cpu_us": (time.process_time() - cpu0) * 1e6 / n,
                "pg_us": 0.0,
                "wall_us": (time.perf_counter() - t0) * 1e6 / n,
                "statements": 0,
            }
            from app import create_app
            from models import db
            from upstream.push import push_due

            app = create_app()
            with app.app_context():
                counter = Counter(db.obj)
                prof = cProfile.Profile(time.process_time) if profile_path else None
                result = timed(lambda: push_due(run_seconds=3600), n, counter, target.url, prof)
                if prof is not None:
                    prof.dump_stats(profile_path)
            db.obj.close_all()
        finally:
            sim.stop()
    finally:
        target.drop()
    return {"ceiling": ceiling, "product": result}


def sms(backend: str, n: int, profile_path: str | None) -> dict:
    from . import product
    from .sms import levels
    from .sms import phones
    from .sms import store_cases

    target = Target(backend, "product").create()
    try:
        fixture = product.prepare(target.url)
        env = {**product.server_env(target.url), "HCP_SMS_QUIET_HOURS": "", "HCP_LIMITS_ENABLED": "true"}
        os.environ.update(env)

        from app import create_app
        from models import db
        from sms.fake_aliyun import FakeAliyun
        from sms.inbox import process_inbox
        from sms.inbox import store_callback
        from sms.jobs import send_due

        app = create_app()
        numbers = phones(n)
        with app.app_context():
            store_cases(fixture, numbers, "CPU", seed=1)
            while send_due(limit=1000):
                pass
            fake = FakeAliyun("x", "y")
            items = [
                fake.up_item(p, str(lvl), sequence_id=str(10**9 + i))
                for i, (p, lvl) in enumerate(zip(numbers, levels(n), strict=True))
            ]
            with db.connection_context():
                for start in range(0, n, 100):
                    store_callback("up", items[start : start + 100])
            counter = Counter(db.obj)
            prof = cProfile.Profile(time.process_time) if profile_path else None
            result = timed(process_inbox, n, counter, target.url, prof)
            if prof is not None:
                prof.dump_stats(profile_path)
        db.obj.close_all()
    finally:
        target.drop()
    return {"product": result}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.cpu")
    ap.add_argument("part", choices=["ingest", "sms", "batch", "upstream"])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--profile", help="cProfile the product's requests into this file")
    ap.add_argument("--only", choices=["product", "ceiling"])
    ap.add_argument("--statements", action="store_true", help="time each SQL statement: the 12 costliest shapes")
    args = ap.parse_args(argv)
    global TIME_STATEMENTS
    TIME_STATEMENTS = args.statements
    if args.part == "sms":
        results = sms(args.backend, args.n, args.profile)
    elif args.part == "upstream":
        results = upstream(args.backend, args.n, args.profile)
    elif args.part == "batch":
        results = batch(args.backend, args.n, args.profile, args.only)
    else:
        results = ingest(args.backend, args.n, args.profile, args.only)
    for kind, r in results.items():
        log(
            f"{args.part} {args.backend} {kind:8s} cpu {r['cpu_us']:7.0f} µs/req  pg {r['pg_us']:6.0f} µs/req  "
            f"wall {r['wall_us']:7.0f} µs/req  statements {r['statements']:.2f}/req  {r['statuses']}"
        )
        costliest = sorted(r.get("shapes", {}).items(), key=lambda item: -item[1][1])[:12]
        for sql, (count, us) in costliest:
            log(f"    {us:7.1f} µs/req  {count:5.2f}×  {sql}")
    if len(results) == 2:
        p, c = results["product"], results["ceiling"]
        log(
            f"product/ceiling CPU (process + PostgreSQL): {(p['cpu_us'] + p['pg_us']) / (c['cpu_us'] + c['pg_us']):.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
