"""The ingest request's CPU, product against ceiling, fed in alternating blocks in one process.

    python -m bench.interleaved --backend sqlite [-n 6000] [--block 25]
    python -m bench.interleaved --backend sqlite --variant-sql "DROP INDEX rating_hall_id"

`bench.cpu ingest` runs the product's requests, then the ceiling's: a host whose speed moves
between the two (another tenant, a CPU's boost) moves the ratio. Here both apps live in one
process and take turns, `--block` requests each, so a change of the host's speed falls on both
sides alike; each request is a plain WSGI call (no test client, no sockets), so what is counted
is the app's own work. Printed: per request this process's CPU and the PostgreSQL backends'
CPU for each side, their ratio, and the ratio in each quarter of the run (how steady it was).
Two identical product sides measured this way agreed to 0.6 % (1.006), the four quarters of one
run within ±2 %; separate runs of `bench.cpu` moved by ±5–10 %.

`--variant-sql` adds a third side: the product on a database of its own, prepared the same way
and then changed by the given SQL (statements separated by ";"), taking its turns beside the
other two — what a schema change (an index less, a trigger more) costs a rating, to a few µs.
The one app serves both product databases: the database proxy is bound to a side's database
before its turn.
"""

import argparse
import io
import os
import time

from .common import Target
from .common import log
from .common import postgres_cpu_seconds
from .cpu import bodies

QUARTERS = 4


def wsgi_poster(app, path: str, headers: dict):
    """A function that POSTs one body to `app` as a bare WSGI call and returns the status."""
    base = {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "bench",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        base[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value

    def post(body: bytes) -> int:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        seen = []
        result = app(environ, lambda status, headers, exc_info=None: seen.append(status))
        try:
            for _ in result:
                pass
        finally:
            if hasattr(result, "close"):
                result.close()
        return int(seen[0][:3])

    return post


class Side:
    """One app's share of the run: its poster, the database whose backends it loads, its sums."""

    def __init__(self, name: str, post, url: str, database=None):
        self.name, self.post, self.url, self.database = name, post, url, database
        self.reset()

    def reset(self) -> None:
        self.cpu = self.pg = 0.0
        self.requests = 0
        self.statuses: dict = {}
        self.quarters = [[0.0, 0.0, 0] for _ in range(QUARTERS)]  # cpu, pg, requests

    def run(self, block: list[bytes], quarter: int) -> None:
        if self.database is not None:
            from models.db import db

            db.initialize(self.database)
        pg0 = postgres_cpu_seconds(self.url)
        cpu0 = time.process_time()
        for body in block:
            status = self.post(body)
            self.statuses[status] = self.statuses.get(status, 0) + 1
        cpu = time.process_time() - cpu0
        pg = postgres_cpu_seconds(self.url) - pg0  # read outside the process-time window
        self.cpu += cpu
        self.pg += pg
        self.requests += len(block)
        q = self.quarters[quarter]
        q[0], q[1], q[2] = q[0] + cpu, q[1] + pg, q[2] + len(block)

    @staticmethod
    def us(cpu: float, pg: float, n: int) -> float:
        """CPU (process + PostgreSQL) per request, in µs."""
        return (cpu + pg) * 1e6 / max(n, 1)


def run(backend: str, n: int, block: int, variant_sql: str | None = None) -> dict:
    from . import product

    targets = {name: Target(backend, name).create() for name in ("product", "ceiling")}
    if variant_sql:
        targets["variant"] = Target(backend, "variant").create()
    try:
        fixture = product.prepare(targets["product"].url)
        variant_fixture = product.prepare(targets["variant"].url) if variant_sql else None
        payloads = bodies(fixture, n)
        os.environ["BENCH_CEILING_URL"] = targets["ceiling"].url
        os.environ.update(product.server_env(targets["product"].url))
        from app import create_app
        from models import db
        from models.db import make_database

        from . import ceiling_app

        ceiling_app.init_schema()
        app = create_app()
        json_type = {"Content-Type": "application/json"}
        sides = [
            Side(
                "product",
                wsgi_poster(app, "/api/v1/ratings", {"Authorization": f"Bearer {fixture.api_key}", **json_type}),
                targets["product"].url,
                db.obj,
            ),
            Side("ceiling", wsgi_poster(ceiling_app.app, "/ratings", json_type), targets["ceiling"].url),
        ]
        if variant_sql:
            database = make_database(targets["variant"].url)
            with database.connection_context():
                for statement in filter(str.strip, variant_sql.split(";")):
                    database.execute_sql(statement)
            headers = {"Authorization": f"Bearer {variant_fixture.api_key}", **json_type}
            post = wsgi_poster(app, "/api/v1/ratings", headers)
            sides.append(Side("variant", post, targets["variant"].url, database))
        warm = min(200, n // 10)
        for side in sides:
            side.run(payloads[:warm], 0)
            side.reset()  # the warm-up is not counted
        rest = payloads[warm:]
        for i, start in enumerate(range(0, len(rest), block)):
            chunk = rest[start : start + block]
            quarter = min(QUARTERS - 1, start * QUARTERS // len(rest))
            # Alternate which side goes first, so neither always follows the other's COMMIT.
            for side in sides if i % 2 == 0 else reversed(sides):
                side.run(chunk, quarter)
        for side in sides:
            if side.database is not None:
                side.database.close_all()
        ceiling_app.db.close_all()
    finally:
        for target in targets.values():
            target.drop()
    return {side.name: side for side in sides}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.interleaved")
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("-n", type=int, default=6000, help="ratings posted to each side")
    ap.add_argument("--block", type=int, default=25, help="requests per turn")
    ap.add_argument("--variant-sql", help="a third side: the product on a database changed by this SQL")
    args = ap.parse_args(argv)
    sides = run(args.backend, args.n, args.block, args.variant_sql)
    for side in sides.values():
        log(
            f"ingest {args.backend} {side.name:8s} cpu {side.cpu * 1e6 / side.requests:7.0f} µs/req  "
            f"pg {side.pg * 1e6 / side.requests:6.0f} µs/req  {side.statuses}"
        )
    pairs = [("product", "ceiling")] + ([("variant", "ceiling"), ("variant", "product")] if args.variant_sql else [])
    for a, b in pairs:
        log(f"{a}/{b} CPU (process + PostgreSQL): {ratio(sides[a], sides[b])}")
    return 0


def ratio(a: Side, b: Side) -> str:
    """a's CPU per request over b's, over the whole run and in each quarter of it."""
    whole = a.us(a.cpu, a.pg, a.requests) / b.us(b.cpu, b.pg, b.requests)
    quarters = [a.us(*qa) / b.us(*qb) for qa, qb in zip(a.quarters, b.quarters, strict=True) if qa[2] and qb[2]]
    return f"{whole:.3f}  by quarter: {' '.join(f'{r:.3f}' for r in quarters)}"


if __name__ == "__main__":
    raise SystemExit(main())
