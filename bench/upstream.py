"""Upstream push: a backlog of 100,000 ratings → time until the city system holds them all.

Per backend: a fresh database with the Huyi master data, 100,000 generated ratings
(`bench.generate`) and, for each, the pending `upstream.rating` outbox row that
`ratings.core.submit_rating` writes with it (bulk-inserted here, the same columns and
values). Then the city simulator (`python -m upstream.simulator`) and the real
scheduler process (`flask --app app jobs run`, only its `upstream.push` job enabled)
start as their own processes, and the clock runs from the scheduler's start until the
simulator holds every rating and no outbox row is pending. Checked once at the end:
the simulator's evalIds are exactly the ratings' stored evalIds, every push is
accepted, nothing is pending. The scheduler's peak RSS (VmHWM) is read before it stops.

Ceiling, measured before and after the product on a fresh simulator each time: the
product's own client (`upstream.client.Client`: same signing, same session) posting
the same 100,000 records, built in memory before the clock starts, in the same batch
size, one batch after another — the cost of the city simulator, HTTP and signing
alone, with no database.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import time

from . import product
from .common import RESULTS
from .common import ROOT
from .common import Row
from .common import Target
from .common import free_port
from .common import log
from .common import peak_rss_mb
from .common import quiet_gate
from .common import save
from .common import tree_cpu_seconds

RATINGS = int(os.environ.get("BENCH_UPSTREAM_RATINGS", "100000"))
# The push's batch size; empty = the product's default ([upstream] batch_size).
BATCH = os.environ.get("BENCH_UPSTREAM_BATCH", "")
TIMEOUT = float(os.environ.get("BENCH_UPSTREAM_TIMEOUT", "900"))
TARGET_SECONDS = 60  # for 100,000 ratings (scaled with BENCH_UPSTREAM_RATINGS)
RATE_TARGET = 0.5  # of the bare client's rate, same simulator, same run
APP_ID, APP_SECRET = "bench-city", "bench-upstream-secret"
KIND = "upstream.rating"


# ---------------------------------------------------------------- the backlog


def queue_backlog(url: str) -> int:
    """Give every rating without one the outbox row `submit_rating` writes in its transaction:
    `Outbox.put("upstream.rating", "rating:<id>", {"rating_id": <id>})` at the rating's time
    (today's generated office hours may lie ahead: those are queued as of now). Returns how
    many rows were added."""
    from core import clock
    from models import Outbox
    from models import Rating
    from models import db

    database = product.bind(url)
    with db.connection_context():
        now = Outbox.created_at.db_value(clock.now())
        mark = db.obj.param
        at = f"CASE WHEN r.created_at > {mark} THEN {mark} ELSE r.created_at END"
        # json.dumps({"rating_id": id}, ensure_ascii=False), as Outbox.put stores it.
        payload = "'{\"rating_id\": ' || r.id || '}'"
        sql = (
            f'INSERT INTO "{Outbox._meta.table_name}" '  # noqa: S608 - model metadata and constants
            "(kind, dedupe_key, payload, state, attempts, available_at, created_at) "
            f"SELECT '{KIND}', 'rating:' || r.id, {payload}, 'pending', 0, {at}, {at} "
            f'FROM "{Rating._meta.table_name}" r WHERE NOT EXISTS '
            f"(SELECT 1 FROM \"{Outbox._meta.table_name}\" o WHERE o.dedupe_key = 'rating:' || r.id)"
        )
        with db.atomic():
            added = db.execute_sql(sql, [now] * 4).rowcount
        db.execute_sql(f'ANALYZE "{Outbox._meta.table_name}"')
    database.close_all()
    return added


def make_backlog(url: str, count: int) -> dict:
    from .generate import generate

    product.prepare(url)
    t0 = time.perf_counter()
    made = generate(url, count, months=1, progress=False)
    queued = queue_backlog(url)
    return {"ratings": made["ratings"], "queued": queued, "setup_s": time.perf_counter() - t0}


# ---------------------------------------------------------------- configuration


def write_config(url: str, sim_port: int, name: str) -> str:
    """The scheduler's configuration: this database, upstream at the simulator, only the push job."""
    from jobs.table import JOBS

    others = ", ".join(f'"{row["id"]}"' for row in JOBS if row["id"] != "upstream.push")
    batch = f"batch_size = {int(BATCH)}\n" if BATCH else ""
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{name}.toml")
    with open(path, "w") as fh:
        fh.write(
            f'[app]\nsecret_key = "bench-{"x" * 32}"\n'
            f'[database]\nurl = "{url}"\n'
            f'[upstream]\nenabled = true\nurl = "http://127.0.0.1:{sim_port}/push"\n'
            f'query_url = "http://127.0.0.1:{sim_port}/query"\napp_id = "{APP_ID}"\napp_secret = "{APP_SECRET}"\n'
            f'data_source = "133"\n{batch}'
            f"[jobs]\ndisabled = [{others}]\n"
        )
    return path


def settings(config_path: str):
    from core import config

    return config.load(environ={"HCP_CONFIG": config_path})


def child_env(config_path: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
    env["HCP_CONFIG"] = config_path
    return env


# ---------------------------------------------------------------- processes


class Process:
    """A child process of this repository, its output in a log file, stopped by its own PID."""

    def __init__(self, args: list[str], env: dict, name: str):
        os.makedirs(RESULTS, exist_ok=True)
        self.logfile = open(os.path.join(RESULTS, f"{name}.log"), "a")
        self.started = time.perf_counter()
        # a fixed local command line: this venv's Python and a module of this repository
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, *args], cwd=ROOT, env=env, stdout=self.logfile, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logfile.close()
        return self.proc.returncode


class SimulatorProcess(Process):
    def __init__(self, config_path: str, port: int, name: str):
        super().__init__(
            ["-m", "upstream.simulator", "--port", str(port)],
            child_env(config_path),
            name,
        )
        self.port = port
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("/_sim/stats")
                return
            except OSError:
                if not self.alive() or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the simulator did not start; see {self.logfile.name}") from None
                time.sleep(0.1)

    def get(self, path: str) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def count(self) -> int:
        return self.get("/_sim/stats")["count"]

    def stop(self, timeout: float = 30) -> int:
        # SIGINT: the simulator's main() ends on KeyboardInterrupt.
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGINT)
        return super().stop(timeout)


def start_scheduler(config_path: str, name: str) -> Process:
    return Process(["-m", "flask", "--app", "app", "jobs", "run"], child_env(config_path), name)


# ---------------------------------------------------------------- checks


def pending_count() -> int:
    """Upstream outbox rows still pending (on the bound database)."""
    from models import Outbox
    from models import db

    with db.connection_context():
        return Outbox.select().where((Outbox.kind == KIND) & (Outbox.state == "pending")).count()


def check(url: str, held: list[str]) -> dict:
    """Exactly once: the city's evalIds against every rating's stored push."""
    from models import Rating
    from models import UpstreamPush
    from models import db

    database = product.bind(url)
    with db.connection_context():
        ratings = Rating.select().count()
        pushes = {
            eval_id: state for eval_id, state in UpstreamPush.select(UpstreamPush.eval_id, UpstreamPush.state).tuples()
        }
        pending = pending_count()
    database.close_all()
    at_city = set(held)
    ours = set(pushes)
    return {
        "ratings": ratings,
        "held": len(held),
        "distinct_held": len(at_city),
        # a rating without a push, or whose evalId the city does not hold
        "lost": ratings - len(ours & at_city),
        # records at the city under an evalId no rating has (a rating sent twice under two ids)
        "duplicated": len(at_city - ours) + (len(held) - len(at_city)),
        "not_accepted": sum(1 for state in pushes.values() if state != "accepted") + (ratings - len(pushes)),
        "pending": pending,
    }


# ---------------------------------------------------------------- runs


def ceiling_records(url: str, profile) -> list[dict]:
    """The product's records for every rating (fresh evalIds), built before the clock starts."""
    from models import Rating
    from models import db
    from upstream.profile import RatingFacts

    database = product.bind(url)
    records = []
    with db.connection_context():
        ids = [r for (r,) in Rating.select(Rating.id).order_by(Rating.id).tuples()]
        for i in range(0, len(ids), 5000):
            facts = RatingFacts.load(ids[i : i + 5000])
            records += [profile.record(facts[r], profile.new_eval_id()) for r in ids[i : i + 5000]]
    database.close_all()
    return records


def start_simulator(url: str, name: str) -> tuple[SimulatorProcess, str]:
    """A fresh simulator on a free port, and the configuration that points upstream at it."""
    port = free_port()
    config_path = write_config(url, port, name)
    return SimulatorProcess(config_path, port, f"{name}-simulator"), config_path


def run_ceiling(url: str, records: list[dict], name: str) -> dict:
    from upstream.client import Client
    from upstream.profile import Profile

    sim, config_path = start_simulator(url, name)
    try:
        profile = Profile.from_settings(settings(config_path).upstream)
        size = profile.batch_size
        gate = quiet_gate()
        client = Client(profile)
        t0 = time.perf_counter()
        for i in range(0, len(records), size):
            answer = client.send(records[i : i + size])
            if len(answer.accepted) != len(records[i : i + size]):
                raise RuntimeError(f"the simulator did not accept a ceiling batch: {answer.rejected}")
        elapsed = time.perf_counter() - t0
        held = sim.count()
        sim_rss = peak_rss_mb(sim.pid)
    finally:
        sim.stop()
    r = {"kind": "ceiling", "seconds": elapsed, "held": held, "batch": size, "simulator_rss_mb": sim_rss, **gate}
    log(f"  ceiling  {elapsed:6.1f} s for {held:,} records (batches of {size}) bg {gate['bg_cores']}")
    return r


def run_product(url: str, expected: int, name: str) -> dict:
    sim, config_path = start_simulator(url, name)
    scheduler = None
    database = product.bind(url)
    try:
        gate = quiet_gate()
        scheduler = start_scheduler(config_path, f"{name}-scheduler")
        t_first = t_city = t_done = None
        while time.perf_counter() - scheduler.started < TIMEOUT:
            if not scheduler.alive():
                raise RuntimeError(f"the scheduler exited with {scheduler.proc.returncode}; see its log")
            held = sim.count() if t_city is None else expected
            if t_first is None and held:
                t_first = time.perf_counter() - scheduler.started
            if t_city is None and held >= expected:
                t_city = time.perf_counter() - scheduler.started
            if t_city is not None and pending_count() == 0:
                t_done = time.perf_counter() - scheduler.started
                break
            time.sleep(0.2)
        rss = peak_rss_mb(scheduler.pid)
        cpu = tree_cpu_seconds(scheduler.pid)
        sim_cpu = tree_cpu_seconds(sim.pid)
        status = scheduler.stop()
        held = sim.get("/_sim/eval-ids")["evalIds"]
        stats = sim.get("/_sim/stats")["stats"]
    finally:
        if scheduler is not None:
            scheduler.stop()
        sim.stop()
        database.close_all()
    verdict = check(url, held)
    r = {
        "kind": "product",
        "seconds": t_done,
        "city_seconds": t_city,
        # the scheduler's start-up (interpreter, app, lock, migrations) until the first batch is in
        "first_seconds": t_first,
        "scheduler_peak_rss_mb": rss,
        "scheduler_cpu_s": cpu,
        "simulator_cpu_s": sim_cpu,
        "scheduler_exit": status,
        "resent": stats["duplicates"],
        "requests": stats["requests"],
        **verdict,
        **gate,
    }
    log(
        f"  product  {_s(t_done)} (city held all at {_s(t_city)}), {stats['requests']:,} requests, "
        f"scheduler {cpu:.1f} s CPU, peak RSS {rss:.0f} MB; check {json.dumps(verdict)} bg {gate['bg_cores']}"
    )
    return r


def _s(seconds) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


def run_backend(backend: str, count: int = RATINGS) -> list[Row]:
    from upstream.profile import Profile

    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    target = Target(backend, "upstream").create()
    tag = f"upstream-{backend}"
    try:
        log(f"upstream {backend}: generating {count:,} ratings with their outbox rows")
        backlog = make_backlog(target.url, count)
        log(f"  {backlog['ratings']:,} ratings, {backlog['queued']:,} queued in {backlog['setup_s']:.0f} s")
        profile = Profile.from_settings(settings(write_config(target.url, 0, tag)).upstream)
        records = ceiling_records(target.url, profile)
        # The ceiling before and after the product: the machine's load drifts.
        ceilings = [run_ceiling(target.url, records, f"{tag}-ceiling")]
        product_run = run_product(target.url, count, tag)
        ceilings.append(run_ceiling(target.url, records, f"{tag}-ceiling"))
    finally:
        target.drop()
    for r in [*ceilings, product_run]:
        save("upstream.jsonl", {"backend": backend, "ratings": count, **r})
    return rows(name, count, product_run, ceilings)


def rows(name: str, count: int, p: dict, ceilings: list[dict]) -> list[Row]:
    ceiling = sum(c["seconds"] for c in ceilings) / len(ceilings)
    # 60 s for 100,000 ratings, in proportion for a smaller backlog (--quick), but never below
    # a few seconds: the scheduler's start-up is in the clock.
    limit = max(TARGET_SECONDS * count / 100_000, 5.0)
    bad = p["lost"] + p["duplicated"]
    clean = bad == 0 and p["not_accepted"] == 0 and p["pending"] == 0 and p["distinct_held"] == count
    return [
        Row(
            f"upstream {name}: {count:,}-rating backlog → all accepted by the city",
            p["seconds"],
            ceiling,
            "s",
            f"≤ {limit:g} s",
            p["seconds"] is not None and p["seconds"] <= limit,
            note=f"first batch in at {_s(p['first_seconds'])}, all at {_s(p['city_seconds'])}; "
            f"{p['requests']:,} requests",
        ),
        Row(
            f"upstream {name}: ratings/s, scheduler start-up included, vs the bare client",
            count / p["seconds"] if p["seconds"] else None,
            count / ceiling,
            "/s",
            f"≥ {RATE_TARGET:.2f}× the bare client",
            bool(p["seconds"]) and ceiling / p["seconds"] >= RATE_TARGET,
        ),
        Row(
            f"upstream {name}: lost / duplicated at the city",
            bad,
            None,
            "",
            "0",
            clean,
            note=f"{p['lost']} lost, {p['duplicated']} duplicated, {p['not_accepted']} not accepted, "
            f"{p['pending']} pending; {p['resent']} re-sends dropped by the city",
        ),
        Row(
            f"upstream {name}: scheduler peak RSS",
            p["scheduler_peak_rss_mb"],
            None,
            "MB",
            "",
            None,
            note=f"scheduler CPU {p['scheduler_cpu_s']:.1f} s = {p['scheduler_cpu_s'] / count * 1e6:.0f} µs a rating",
        ),
    ]


def run(backends=("sqlite", "postgresql")) -> list[Row]:
    rows_out = []
    for backend in backends:
        rows_out += run_backend(backend)
    return rows_out
