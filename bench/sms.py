"""SMS replies: 10,000 SmsUp replies, pushed in callbacks of 100 items the way
Aliyun posts them, to the product under gunicorn with the real scheduler
process running → the time from the first POST until every reply is a rating.

Setup per backend (not timed): a fresh database, 10,000 completed cases with
distinct applicant phones through the product's batch intake (`cases.batch`),
and their invitations really sent by the product's `sms.send` job against the
fake Aliyun (`sms/fake_aliyun.py`), so the invitations, their SmsMessage prompts
and outbox rows are the ones production writes. The fake stays up during the
run: the scheduler sends the thank-you SMS and 差评 acknowledgements to it.

Ceiling (same run, same machine): the bare app (`bench/ceiling_app.py`) takes the
same 100 callbacks of 100 items (validated, `insert_many` per callback), then a
bare loop turns the 10,000 stored rows into 10,000 rating rows (one SELECT,
`json.loads` per row, `executemany` INSERT in one transaction): the cost of
moving the same data through HTTP and the database with no rules at all.
"""

import base64
import datetime as dt
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

from . import product
from .common import RESULTS
from .common import ROOT
from .common import Row
from .common import Server
from .common import Target
from .common import children
from .common import log
from .common import peak_rss_mb
from .common import postgres_cpu_seconds
from .common import quiet_gate
from .common import run_clients
from .common import sampled
from .common import save
from .common import tree_cpu_seconds
from .ingest import LEVEL_MIX
from .ingest import ceiling_helper

REPLIES = int(os.environ.get("BENCH_SMS_REPLIES", "10000"))
TARGET_SECONDS = 5  # for 10,000 replies (scaled with BENCH_SMS_REPLIES)
PER_CALLBACK = 100
CLIENTS = int(os.environ.get("BENCH_SMS_CLIENTS", "4"))
TIMEOUT = float(os.environ.get("BENCH_SMS_TIMEOUT", "600"))
STALL = 30.0  # seconds without a new rating after the last push: the run is over
POLL = 0.1  # seconds between counts of the ratings (a COUNT over `rating`: kept rare)
TOKEN = "bench-sms-callback-token-0123456789"  # noqa: S105 - a local benchmark's path token
FAKE_AK, FAKE_SECRET = "bench-ak", "bench-fake-secret"
# Fixed keys: the bench process, the web workers and the scheduler must share them.
PII_KEY = base64.b64encode(b"b" * 32).decode()
PII_LOOKUP = base64.b64encode(b"l" * 32).decode()


# -- the data --------------------------------------------------------------------


def phones(count: int, seed: int = 7) -> list[str]:
    """`count` distinct mainland mobile numbers."""
    rng = random.Random(seed)
    numbers = rng.sample(range(10**8), count)
    return [f"13{rng.randint(5, 9)}{n:08d}" for n in numbers]


def levels(count: int, seed: int = 7) -> list[int]:
    """The demo's level mix (5:68 4:20 3:7 2:3 1:2 %), exact to the rounding, shuffled."""
    out = [level for level, weight in LEVEL_MIX.items() for _ in range(round(count * weight / 100))]
    out = (out + [5] * count)[:count]
    random.Random(seed).shuffle(out)
    return out


def store_cases(fixture, numbers: list[str], prefix: str, seed: int, hours_ago: float = 2) -> list[dict]:
    """One case completed `hours_ago` per phone, through the product's batch intake (its
    invitation scheduled with it), a thousand a call, in the caller's app context; returns the
    intake's answers in order. For the setup of the sms, invite and bench.cpu parts."""
    from cases.batch import upsert_cases
    from models import Department
    from models import db

    done = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(hours=hours_ago)
    stamp = done.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    rng = random.Random(seed)
    answers: list[dict] = []
    with db.connection_context():
        department = Department.get(Department.code == fixture.dept_code)
        for start in range(0, len(numbers), 1000):
            batch = [
                {
                    "case_no": f"{prefix}-{start + n:07d}",
                    "item_code": rng.choice(fixture.item_codes),
                    "dept_code": fixture.dept_code,
                    "window_code": rng.choice(fixture.window_codes),
                    "mode": "offline",
                    "status": "completed",
                    "accepted_at": stamp,
                    "completed_at": stamp,
                    "applicant": {"name": "测试申请人", "phone": phone, "type": "person"},
                }
                for n, phone in enumerate(numbers[start : start + 1000])
            ]
            answers += upsert_cases(batch, department)
    return answers


def sms_env(url: str, fake_endpoint: str) -> dict:
    """The product's configuration for the web workers, the scheduler and the setup."""
    env = product.server_env(url)
    env.update(
        {
            # Limits on, as deployed: the per-phone reply limit is part of the work (one reply per phone).
            "HCP_LIMITS_ENABLED": "true",
            "HCP_SMS_PROVIDER": "aliyun",
            "HCP_SMS_CALLBACK_TOKEN": TOKEN,
            "HCP_SMS_QUIET_HOURS": "",  # the run's time of day must not hold the SMS
            "HCP_SMS_ALIYUN_ACCESS_KEY_ID": FAKE_AK,
            "HCP_SMS_ALIYUN_ACCESS_KEY_SECRET": FAKE_SECRET,
            "HCP_SMS_ALIYUN_ENDPOINT": fake_endpoint,
            "HCP_SMS_ALIYUN_PROTOCOL": "http",
            "HCP_PII_KEYS": f"bench:{PII_KEY}",
            "HCP_PII_LOOKUP_KEY": PII_LOOKUP,
        }
    )
    return env


def start_fake():
    from sms.fake_aliyun import FakeAliyun

    return FakeAliyun(FAKE_AK, FAKE_SECRET).serve()


def in_app(env: dict):
    """The product's app in this process, configured as the servers are (for the setup)."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from app import create_app

        return create_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def seed_invitations(fixture, numbers: list[str], env: dict) -> dict:
    """Completed cases with these phones through batch intake; their invitations sent by `sms.send`."""
    from models import Invitation
    from models import db
    from sms.jobs import send_due

    app = in_app(env)
    timings = {}
    with app.app_context():
        t0 = time.perf_counter()
        bad = [r for r in store_cases(fixture, numbers, "SMS", seed=3) if r["status"] != 201]
        if bad:
            raise RuntimeError(f"batch intake refused {len(bad)} cases: {bad[:3]}")
        timings["cases_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        while True:
            counts = send_due(limit=500)
            if not counts:
                break
            if set(counts) - {"sent"}:
                raise RuntimeError(f"sms.send did not just send: {counts}")
        timings["send_s"] = time.perf_counter() - t0
        with db.connection_context():
            sent = Invitation.select().where(Invitation.state == "sent").count()
    db.obj.close_all()
    if sent != len(numbers):
        raise RuntimeError(f"{sent} of {len(numbers)} invitations were sent")
    return timings


def callback_bodies(numbers: list[str], replies: list[int]) -> list[bytes]:
    """SmsUp pushes of PER_CALLBACK items in Aliyun's JSON format (the fake's `up_item`)."""
    from sms.fake_aliyun import FakeAliyun

    fake = FakeAliyun(FAKE_AK, FAKE_SECRET)
    pairs = enumerate(zip(numbers, replies, strict=True))
    items = [fake.up_item(phone, str(level), sequence_id=str(10**9 + n)) for n, (phone, level) in pairs]
    return [
        json.dumps(items[i : i + PER_CALLBACK], ensure_ascii=False).encode() for i in range(0, len(items), PER_CALLBACK)
    ]


def as_cases(body: bytes) -> bytes:
    """The same push as the bare app's /cases/batch elements: one stored row per SmsUp item."""
    items = json.loads(body)
    return json.dumps(
        [
            {
                "case_no": f"up-{item['sequence_id']}",
                "item_code": "sms-up",
                "dept_code": item["dest_code"],
                "status": "completed",
                "applicant": {"phone": item["phone_number"]},
                "content": item["content"],
                "send_time": item["send_time"],
            }
            for item in items
        ],
        ensure_ascii=False,
    ).encode()


# -- driving it --------------------------------------------------------------------


def post_all(port: int, path: str, bodies: list[bytes], clients: int = CLIENTS) -> dict:
    """POST every body once from `clients` threads, as Aliyun pushes: a failed push is
    retried (up to 3 times, 1 s apart). Returns seconds, failures and retries."""
    failures, retried = [], []

    def push(conn, body):
        for attempt in range(4):
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException) as exc:
                status = repr(exc)
                conn.close()
            if status == 200:
                return
            failures.append(status)
            if attempt < 3:
                retried.append(status)
                time.sleep(1)

    seconds = run_clients(port, bodies, clients, push, timeout=30)
    return {"post_s": seconds, "failed_posts": len(failures), "retried_posts": len(retried)}


class Scheduler:
    """The product's scheduler process (`flask --app app jobs run`), stopped by its own PID."""

    def __init__(self, env: dict, name: str):
        self.logfile = open(os.path.join(RESULTS, f"{name}.log"), "a")
        flask = os.path.join(os.path.dirname(sys.executable), "flask")
        self.proc = subprocess.Popen(  # noqa: S603 - flask from this venv, the app of this repository
            [flask, "--app", "app", "jobs", "run"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.logfile,
            stderr=self.logfile,
        )

    def peak_rss_mb(self) -> float | None:
        return peak_rss_mb(self.proc.pid)

    def children_peak_rss_mb(self) -> list[float]:
        """The peak RSS of each child process: the SMS lane workers (and multiprocessing's
        resource tracker), on PostgreSQL."""
        return sorted(mb for mb in (peak_rss_mb(pid) for pid in children(self.proc.pid)) if mb is not None)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logfile.close()


def counts(url: str) -> dict:
    """What the replies became: ratings by channel sms (and their distinct cases), inbox states."""
    from peewee import fn

    from models import Rating
    from models import db
    from models.sms import SmsInbox

    database = product.bind(url)
    with db.connection_context():
        sms = Rating.select().where(Rating.channel == "sms")
        found = {
            "ratings": sms.count(),
            "rated_cases": sms.select(fn.COUNT(fn.DISTINCT(Rating.case))).scalar(),
            "inbox": dict(SmsInbox.select(SmsInbox.state, fn.COUNT(SmsInbox.id)).group_by(SmsInbox.state).tuples()),
            "outcomes": dict(
                SmsInbox.select(SmsInbox.outcome, fn.COUNT(SmsInbox.id)).group_by(SmsInbox.outcome).tuples()
            ),
        }
    database.close_all()
    return found


def wait_ready(url: str, scheduler: Scheduler, timeout: float = 60) -> None:
    """Until the scheduler holds its lock and the inbox job has run once (its start-up run)."""
    from models import JobRun
    from models import db

    database = product.bind(url)
    t0 = time.time()
    try:
        while time.time() - t0 < timeout:
            if scheduler.proc.poll() is not None:
                raise RuntimeError(
                    f"the scheduler exited with {scheduler.proc.returncode}; see {scheduler.logfile.name}"
                )
            with db.connection_context():
                run = JobRun.get_or_none(JobRun.job_id == "sms.inbox")
            if run is not None and run.last_finished_at is not None:
                return
            time.sleep(0.2)
    finally:
        database.close_all()
    raise RuntimeError("the scheduler did not run sms.inbox")


def sms_ratings(cursor_factory):
    """A counter of sms ratings on a raw connection (cheap to poll every 50 ms)."""
    conn = cursor_factory()
    cur = conn.cursor()

    def count() -> int:
        cur.execute("SELECT COUNT(*) FROM rating WHERE channel = 'sms'")
        n = cur.fetchone()[0]
        conn.commit()  # a fresh snapshot for the next poll
        return n

    return count, conn.close


def raw_connect(url: str):
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        import sqlite3

        return lambda: sqlite3.connect(parsed.path, timeout=10)
    import psycopg2

    return lambda: psycopg2.connect(url)


def cpu_now(scheduler, server, url: str) -> tuple[float, float, float]:
    return tree_cpu_seconds(scheduler.proc.pid), tree_cpu_seconds(server.proc.pid), postgres_cpu_seconds(url)


def product_run(backend: str, gate: dict | None = None) -> dict:
    target = Target(backend, "product").create()
    fake = start_fake()
    try:
        log(f"sms {backend}: setup — {REPLIES} completed cases, their invitations sent by sms.send")
        fixture = product.prepare(target.url)
        env = sms_env(target.url, fake.endpoint)
        numbers = phones(REPLIES)
        setup = seed_invitations(fixture, numbers, env)
        product.settle(target.url)
        log(f"  cases {setup['cases_s']:.1f} s, sending {setup['send_s']:.1f} s")
        bodies = callback_bodies(numbers, levels(REPLIES))
        server = Server(product.PRODUCT_APP, env, "sms-product")
        scheduler = Scheduler(env, "sms-scheduler")
        try:
            wait_ready(target.url, scheduler)
            gate = quiet_gate()
            count, close = sms_ratings(raw_connect(target.url))
            path = f"/sms/aliyun/{TOKEN}/up"
            posted: dict = {}
            poster = threading.Thread(target=lambda: posted.update(post_all(server.port, path, bodies)))
            with sampled(scheduler.proc.pid, "BENCH_SMS_PROFILE", idle=True):  # waits included: the drain's wall time
                cpu0 = cpu_now(scheduler, server, target.url)
                t0 = time.perf_counter()
                poster.start()
                n, changed = 0, t0
                while n < REPLIES and time.perf_counter() - t0 < TIMEOUT:
                    time.sleep(POLL)
                    n, before = count(), n
                    if n != before:
                        changed = time.perf_counter()
                    elif not poster.is_alive() and time.perf_counter() - changed > STALL:
                        break  # every push answered and nothing moves any more: some replies are lost
                elapsed = time.perf_counter() - t0
                cpu1 = cpu_now(scheduler, server, target.url)
                poster.join()
                close()
            time.sleep(1)  # let the last chunk's transaction settle before counting
            result = {
                "kind": "product",
                "seconds": elapsed if n >= REPLIES else None,
                "ratings_at_stop": n,
                "scheduler_cpu_s": cpu1[0] - cpu0[0],
                "web_cpu_s": cpu1[1] - cpu0[1],
                "postgres_cpu_s": cpu1[2] - cpu0[2],
                "scheduler_peak_rss_mb": scheduler.peak_rss_mb(),
                "scheduler_children_rss_mb": scheduler.children_peak_rss_mb(),
                "worker_peak_rss_mb": server.worker_peak_rss_mb(),
                **posted,
                **gate,
                **setup,
            }
        finally:
            scheduler.stop()
            server.stop()
        result.update(counts(target.url))
    finally:
        fake.stop()
        target.drop()
    lost = REPLIES - result["ratings"]
    result["lost"], result["duplicated"] = max(lost, 0), result["ratings"] - result["rated_cases"]
    result["failed_rows"] = result["inbox"].get("failed", 0)
    log(
        f"  product {result['seconds'] or float('nan'):.1f} s to {result['ratings']} ratings; posts "
        f"{result['post_s']:.1f} s, failed posts {result['failed_posts']}; inbox {result['inbox']}; CPU s: "
        f"scheduler {result['scheduler_cpu_s']:.1f} web {result['web_cpu_s']:.1f} pg {result['postgres_cpu_s']:.1f}; "
        f"scheduler RSS {result['scheduler_peak_rss_mb']:.0f} MB; bg {result['bg_cores']}"
    )
    return result


def ceiling_run(backend: str, bodies: list[bytes]) -> dict:
    """The bare app stores the pushes; a bare loop turns the stored rows into rating rows."""
    from models.db import make_database

    target = Target(backend, "ceiling").create()
    try:
        ceiling_helper(target.url, "init")
        cases = [as_cases(body) for body in bodies]
        server = Server("bench.ceiling_app:app", {"BENCH_CEILING_URL": target.url}, "sms-ceiling")
        try:
            gate = quiet_gate()
            web0, pg0 = tree_cpu_seconds(server.proc.pid), postgres_cpu_seconds(target.url)
            t0 = time.perf_counter()
            posted = post_all(server.port, "/cases/batch", cases)
            stored_s = time.perf_counter() - t0
            web_cpu = tree_cpu_seconds(server.proc.pid) - web0
            pg_cpu = postgres_cpu_seconds(target.url) - pg0  # its backends end with the server
        finally:
            server.stop()
        database = make_database(target.url)
        own0 = time.process_time()
        t1 = time.perf_counter()
        with database.connection_context(), database.atomic():
            rows = database.execute_sql("SELECT id, payload FROM ceiling_case ORDER BY id").fetchall()
            values = []
            for _id, payload in rows:
                item = json.loads(payload)
                level = int(item["content"])
                values.append((item["applicant"]["phone"][-8:], "sms", level, "", dt.datetime.now()))
            marks = ", ".join([database.param] * 5)
            sql = f"INSERT INTO ceiling_rating (window_code, channel, level, labels, created_at) VALUES ({marks})"  # noqa: S608
            database.cursor().executemany(sql, values)
        converted_s = time.perf_counter() - t1
        loop_cpu = time.process_time() - own0
        pg_cpu += postgres_cpu_seconds(target.url)  # the loop's own backend, before it closes
        database.close_all()
        stored = ceiling_helper(target.url, "count").split()
    finally:
        target.drop()
    result = {
        "kind": "ceiling",
        "seconds": stored_s + converted_s,
        "stored_s": stored_s,
        "converted_s": converted_s,
        "cpu_s": web_cpu + loop_cpu + pg_cpu,
        "ratings": int(stored[0]),
        "cases": int(stored[1]),
        **posted,
        **gate,
    }
    log(
        f"  ceiling {result['seconds']:.1f} s (store {stored_s:.1f} + convert {converted_s:.1f}); "
        f"rows {result['cases']} → {result['ratings']}; bg {gate['bg_cores']}"
    )
    return result


def run_backend(backend: str) -> list[Row]:
    bodies = callback_bodies(phones(REPLIES), levels(REPLIES))
    ceiling = ceiling_run(backend, bodies)
    got = product_run(backend)
    save("sms.jsonl", {"backend": backend, "product": got, "ceiling": ceiling})
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    label = f"sms {name}: {REPLIES:,} replies in callbacks of {PER_CALLBACK}"
    bad = got["lost"] + got["duplicated"] + got["failed_rows"]
    return [
        Row(
            f"{label}: time until all are ratings",
            got["seconds"],
            ceiling["seconds"],
            "s",
            f"≤ {TARGET_SECONDS * REPLIES / 10_000:g} s",
            got["seconds"] is not None and got["seconds"] <= TARGET_SECONDS * REPLIES / 10_000,
            note=f"bg {got['bg_cores']} cores",
        ),
        Row(
            f"sms {name}: replies lost / duplicated / failed",
            bad,
            None,
            "",
            "0",
            bad == 0,
            note=f"{got['lost']} / {got['duplicated']} / {got['failed_rows']}",
        ),
        Row(
            f"sms {name}: CPU per reply (scheduler + web + PostgreSQL)",
            1000 * (got["scheduler_cpu_s"] + got["web_cpu_s"] + got["postgres_cpu_s"]) / REPLIES,
            1000 * ceiling["cpu_s"] / REPLIES,
            "ms",
            "",
            None,
            note=f"scheduler alone {1000 * got['scheduler_cpu_s'] / REPLIES:.2f} ms",
        ),
        Row(
            f"sms {name}: scheduler peak RSS",
            got["scheduler_peak_rss_mb"],
            None,
            "MB",
            "",
            None,
            note="child processes (lane workers, resource tracker): "
            + (", ".join(f"{mb:.0f} MB" for mb in got.get("scheduler_children_rss_mb") or []) or "none"),
        ),
        Row(f"sms {name}: web worker peak RSS", got["worker_peak_rss_mb"], None, "MB", "", None),
    ]


def run(backends=("sqlite", "postgresql")) -> list[Row]:
    rows = []
    for backend in backends:
        rows += run_backend(backend)
    return rows
