"""Case intake through `POST /api/v1/cases/batch`: batches of 1000 completed cases
(with an applicant phone, so each one also schedules its SMS invitation), sent by a
few concurrent Python clients, beside the bare endpoint that `insert_many`s a batch.

The bodies are encoded before the clock starts; every element answered 201 must be a
stored case, and every "scheduled" answer one stored invitation with its outbox row.
"""

import datetime as dt
import http.client
import json
import os
import random

from . import product
from .common import Row
from .common import Server
from .common import Target
from .common import log
from .common import median
from .common import postgres_cpu_seconds
from .common import quiet_gate
from .common import run_clients
from .common import save
from .common import tree_cpu_seconds
from .ingest import ceiling_helper

BATCH = 1000
CASES = int(os.environ.get("BENCH_BATCH_CASES", "10000"))
CLIENTS = int(os.environ.get("BENCH_BATCH_CLIENTS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def case_payloads(fixture, prefix: str, count: int, seed: int = 1) -> list[dict]:
    """Cases completed yesterday (Beijing time): inside the rating window, so each one is invited."""
    rng = random.Random(seed)
    day = (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(days=1)).date().isoformat()
    out = []
    for n in range(count):
        minute = rng.randint(0, 8 * 60)
        out.append(
            {
                "case_no": f"{prefix}-{n:07d}",
                "item_code": rng.choice(fixture.item_codes),
                "dept_code": fixture.dept_code,
                "window_code": rng.choice(fixture.window_codes),
                "mode": "offline",
                "status": "completed",
                "accepted_at": f"{day}T{9 + minute // 60:02d}:{minute % 60:02d}:00+08:00",
                "completed_at": f"{day}T{9 + minute // 60:02d}:{minute % 60:02d}:30+08:00",
                "applicant": {"name": "测试申请人", "phone": f"139{rng.randint(0, 99999999):08d}", "type": "person"},
            }
        )
    return out


def post_all(port: int, path: str, bodies: list[bytes], key: str, clients: int) -> tuple[float, list]:
    """Send every body once from `clients` threads; returns (seconds, parsed responses)."""
    answers, failures = [], []
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}

    def post(conn, body):
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                try:
                    code = json.loads(data)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "?"
                failures.append((resp.status, code))
            else:
                answers.append(json.loads(data))
        except (OSError, http.client.HTTPException) as exc:
            failures.append(("error", repr(exc)))
            conn.close()

    elapsed = run_clients(port, bodies, clients, post)
    if failures:
        summary = {f"{status} {code}": failures.count((status, code)) for status, code in set(failures)}
        log(f"  {len(failures)} of {len(bodies)} batches failed: {summary}")
    return elapsed, answers + [None] * len(failures)


def stored_counts(url: str) -> tuple[int, int, int]:
    """(cases, invitations, sms.invite outbox rows) stored by the product."""
    from models import Case
    from models import Invitation
    from models import Outbox
    from models import db

    database = product.bind(url)
    with db.connection_context():
        counts = (
            Case.select().count(),
            Invitation.select().count(),
            Outbox.select().where(Outbox.kind == "sms.invite").count(),
        )
    database.close_all()
    return counts


def one_run(kind: str, fixture, ceiling_url: str, round_no: int) -> dict:
    payloads = case_payloads(fixture, f"BENCH{round_no}{kind[0].upper()}", CASES, seed=round_no)
    bodies = [json.dumps(payloads[i : i + BATCH]).encode() for i in range(0, len(payloads), BATCH)]
    if kind == "product":
        server, path = product.serve(fixture.url, "batch-product"), "/api/v1/cases/batch"
        before = stored_counts(fixture.url)
    else:
        server = Server("bench.ceiling_app:app", {"BENCH_CEILING_URL": ceiling_url}, "batch-ceiling")
        path, before = "/cases/batch", (int(ceiling_helper(ceiling_url, "count").split()[1]), 0, 0)
    try:
        gate = quiet_gate()
        database = fixture.url if kind == "product" else ceiling_url
        cpu0, pg0 = tree_cpu_seconds(server.proc.pid), postgres_cpu_seconds(database)
        elapsed, answers = post_all(server.port, path, bodies, fixture.api_key, CLIENTS)
        cpu1, pg1 = tree_cpu_seconds(server.proc.pid), postgres_cpu_seconds(database)
        rss = server.worker_peak_rss_mb()
    finally:
        server.stop()
    created = sum(1 for a in answers if a for e in a if e.get("status") == 201)
    bad = sum(1 for a in answers if a for e in a if e.get("status") != 201) + BATCH * answers.count(None)
    if kind == "product":
        after = stored_counts(fixture.url)
    else:
        after = (int(ceiling_helper(ceiling_url, "count").split()[1]), 0, 0)
    scheduled = sum(1 for a in answers if a for e in a if e.get("invitation") == "scheduled")
    r = {
        "kind": kind,
        "cases": CASES,
        "clients": CLIENTS,
        "seconds": elapsed,
        "cases_per_s": created / elapsed,
        "created": created,
        "rejected": bad,
        "rows_added": after[0] - before[0],
        "scheduled": scheduled,
        "invitations_added": after[1] - before[1],
        "outbox_added": after[2] - before[2],
        "worker_peak_rss_mb": rss,
        # gunicorn tree + the postgres backends of its database
        "server_cpu_ms_per_1000": (cpu1 - cpu0 + pg1 - pg0) * 1e6 / max(1, CASES),
        **gate,
    }
    # Every 201 is a stored case; every "scheduled" answer one invitation and its outbox row.
    r["lost"] = abs(created - r["rows_added"])
    if kind == "product":
        r["lost"] += abs(scheduled - r["invitations_added"]) + abs(scheduled - r["outbox_added"])
    log(
        f"  {kind:8s} {r['cases_per_s']:7.0f} cases/s ({created} in {elapsed:.1f} s) rejected={bad} "
        f"rows+{r['rows_added']} invited+{r['invitations_added']} "
        f"cpu {r['server_cpu_ms_per_1000']:.0f} ms/1000 rss {rss:.0f} MB bg {gate['bg_cores']}"
    )
    return r


def run_backend(backend: str, rounds: int = ROUNDS) -> list[Row]:
    target, ceiling = Target(backend, "product").create(), Target(backend, "ceiling").create()
    runs = {"product": [], "ceiling": []}
    try:
        log(f"batch {backend}: {CASES} cases in batches of {BATCH}, {CLIENTS} clients")
        fixture = product.prepare(target.url)
        ceiling_helper(ceiling.url, "init")
        for i in range(rounds):
            for kind in ("ceiling", "product") if i % 2 == 0 else ("product", "ceiling"):
                runs[kind].append(one_run(kind, fixture, ceiling.url, i))
    finally:
        target.drop()
        ceiling.drop()
    for rs in runs.values():
        for r in rs:
            save("batch.jsonl", {"backend": backend, **r})
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    p, c = runs["product"], runs["ceiling"]
    rate = median([r["cases_per_s"] for r in p])
    ratio = median([a["cases_per_s"] / b["cases_per_s"] for a, b in zip(p, c, strict=True) if b["cases_per_s"]])
    lost = sum(r["lost"] + r["rejected"] for r in p)
    bg = median([r["bg_cores"] for r in p + c])
    return [
        Row(
            f"batch intake {name}: cases/s ({CLIENTS} clients × {BATCH})",
            rate,
            median([r["cases_per_s"] for r in c]),
            "/s",
            "≥ 0.50× ceiling, ≥ 5,000 /s",
            rate is not None and rate >= 5000 and ratio is not None and ratio >= 0.5,
            note=f"other load {bg:.1f} cores" if bg and bg > 0.3 else "",
            paired_ratio=ratio,
        ),
        Row(
            f"batch intake {name}: server CPU per 1000 cases",
            median([r["server_cpu_ms_per_1000"] for r in p]),
            median([r["server_cpu_ms_per_1000"] for r in c]),
            "ms",
        ),
        Row(f"batch intake {name}: cases rejected or not stored", lost, None, "", "0", lost == 0),
    ]


def run(backends=("sqlite", "postgresql")) -> list[Row]:
    rows = []
    for backend in backends:
        rows += run_backend(backend)
    return rows
