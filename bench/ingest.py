"""Rating ingest: `POST /api/v1/ratings` under gunicorn, driven by wrk, beside the
bare Flask + peewee insert endpoint (the ceiling) on the same settings, rounds interleaved.

Every request is a distinct on-site rating by a keyed device (window_code, a level
drawn from the demo's mix, sometimes a label); 差评 open tickets as in production.
The Lua script logs "status rating_id" for every response; afterwards every 201's id
must be a stored row, and the rows added must be the 201s plus at most the requests
still in flight when wrk stopped.
"""

import glob
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile

from . import product
from .common import GUNICORN_WORKERS
from .common import WRK_DONE
from .common import Row
from .common import Server
from .common import Target
from .common import log
from .common import median
from .common import postgres_cpu_seconds
from .common import quiet_gate
from .common import run_wrk
from .common import sampled
from .common import save
from .common import tree_cpu_seconds

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
DURATION = os.environ.get("BENCH_DURATION", "10s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
LEVEL_MIX = {1: 2, 2: 3, 3: 7, 4: 20, 5: 68}  # per 100, as in the demo data
# Issue 19's bars, each against the ceiling measured in the same run.
RATIO_TARGET = 0.70  # ratings/s
P99_TARGET = 1.5  # p99 latency
RSS_TARGET = 1.5  # a web worker's peak RSS

LUA = r"""
windows = {%(windows)s}
labels = {%(labels)s}
outdir = "%(outdir)s"
path = "%(path)s"
levels = {%(levels)s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(key)s"

local counter = 1
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  out = io.open(outdir .. "/responses-" .. tid .. ".txt", "w")
  out:setvbuf("line")
  n = 0
  math.randomseed(tid * 7919)
end

function request()
  n = n + 1
  local level = levels[math.random(#levels)]
  local w = windows[math.random(#windows)]
  local lab = ""
  local choices = labels[level]
  if #choices > 0 and math.random(2) == 1 then
    lab = '"' .. choices[math.random(#choices)] .. '"'
  end
  local body = string.format(
    '{"channel":"pad","window_code":"%%s","level":%%d,"labels":[%%s],"device_id":"bench-%(run)s-%%d-%%d"}',
    w, level, lab, tid, n %% 5000)
  return wrk.format(nil, path, nil, body)
end

function response(status, headers, body)
  out:write(status, " ", body:match('"rating_id":%%s*(%%d+)') or "-", "\n")
end
"""


_scripts = itertools.count(1)


def lua_script(fixture, path: str, outdir: str) -> str:
    def lua_list(values):
        return ",".join(json.dumps(v) for v in values)

    levels = [lvl for lvl, weight in LEVEL_MIX.items() for _ in range(weight)]
    labels = ",".join(f"[{lvl}]={{{lua_list(fixture.labels_by_level.get(lvl, []))}}}" for lvl in range(1, 6))
    script = LUA % {
        # Tablet ids new in every run: rounds follow each other within the fraud screen's
        # burst window, and a real tablet does not rate thousands of times in ten minutes.
        "run": next(_scripts),
        "windows": lua_list(fixture.window_codes),
        "labels": labels,
        "outdir": outdir,
        "path": path,
        "levels": ",".join(map(str, levels)),
        "key": fixture.api_key,
    }
    fd, name = tempfile.mkstemp(prefix="hcp-bench-", suffix=".lua", dir=outdir)
    with os.fdopen(fd, "w") as fh:
        fh.write(script + WRK_DONE)
    return name


def read_responses(outdir: str) -> tuple[dict, list[int]]:
    statuses: dict[str, int] = {}
    ids = []
    for name in glob.glob(os.path.join(outdir, "responses-*.txt")):
        with open(name) as fh:
            for line in fh:
                status, _, rid = line.strip().partition(" ")
                statuses[status] = statuses.get(status, 0) + 1
                if status == "201" and rid.isdigit():
                    ids.append(int(rid))
        os.remove(name)
    return statuses, ids


def ceiling_helper(url: str, arg: str) -> str:
    env = {**os.environ, "BENCH_CEILING_URL": url}
    out = subprocess.run(  # noqa: S603 (this interpreter, a module of this repository)
        [sys.executable, "-m", "bench.ceiling_app", arg], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def one_run(kind: str, fixture, ceiling_url: str, outdir: str) -> dict:
    database = fixture.url if kind == "product" else ceiling_url
    if kind == "product":
        server = product.serve(fixture.url, "ingest-product")
        path, before = "/api/v1/ratings", product.rating_count(fixture.url)
    else:
        server = Server("bench.ceiling_app:app", {"BENCH_CEILING_URL": ceiling_url}, "ingest-ceiling")
        path, before = "/ratings", int(ceiling_helper(ceiling_url, "count").split()[0])
    script = lua_script(fixture, path, outdir)
    try:
        gate = quiet_gate()
        cpu0, pg0 = tree_cpu_seconds(server.proc.pid), postgres_cpu_seconds(database)
        with sampled(server.proc.pid, f"BENCH_INGEST_PROFILE_{kind.upper()}", subprocesses=True):
            r = run_wrk(server.base + path, script, ["-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "5s"])
        cpu1, pg1 = tree_cpu_seconds(server.proc.pid), postgres_cpu_seconds(database)
        r["worker_peak_rss_mb"] = server.worker_peak_rss_mb()
    finally:
        server.stop()
        os.remove(script)
    statuses, ids = read_responses(outdir)
    if kind == "product":
        after = product.rating_count(fixture.url)
        stored = product.stored_ids(fixture.url, "Rating", ids)
        r["flagged"] = product.rating_count(fixture.url, "RatingFlag")  # the fraud screen's, cumulative
    else:
        after = int(ceiling_helper(ceiling_url, "count").split()[0])
        stored = None  # the ceiling's ids are not re-read: only its row count is checked
    created = statuses.get("201", 0)
    r.update(
        kind=kind,
        statuses=statuses,
        created=created,
        rows_added=after - before,
        ids_unique=len(set(ids)) == len(ids),
        ids_stored=stored,
        server_cpu_ms_per_req=(cpu1 - cpu0 + pg1 - pg0) * 1000 / max(1, r["requests"]),
        **gate,
    )
    # Nothing lost: every 201 is a stored row; surplus rows are requests wrk stopped waiting for.
    r["lost"] = max(0, created - r["rows_added"]) + (0 if stored is None else created - stored)
    r["lost"] += 0 if r["ids_unique"] else 1
    log(
        f"  {kind:8s} {r['rps']:7.0f} req/s p50 {r['p50_us'] / 1000:6.1f} ms p99 {r['p99_us'] / 1000:6.1f} ms "
        f"201={created} other={ {k: v for k, v in statuses.items() if k != '201'} } rows+{r['rows_added']} "
        f"lost={r['lost']} sockerr={r['socket_errors']} cpu {r['server_cpu_ms_per_req']:.2f} ms/req "
        f"rss {r['worker_peak_rss_mb']:.0f} MB bg {gate['bg_cores']}"
        + (f" flagged {r['flagged']}" if "flagged" in r else "")
    )
    return r


def run_backend(backend: str, rounds: int = ROUNDS) -> list[Row]:
    target, ceiling = Target(backend, "product").create(), Target(backend, "ceiling").create()
    outdir = tempfile.mkdtemp(prefix="hcp-bench-ingest-")
    runs = {"product": [], "ceiling": []}
    try:
        log(f"ingest {backend}: preparing the product database and the ceiling table")
        fixture = product.prepare(target.url)
        ceiling_helper(ceiling.url, "init")
        for i in range(rounds):
            order = ("ceiling", "product") if i % 2 == 0 else ("product", "ceiling")
            for kind in order:
                runs[kind].append(one_run(kind, fixture, ceiling.url, outdir))
    finally:
        target.drop()
        ceiling.drop()
        shutil.rmtree(outdir, ignore_errors=True)
    for rs in runs.values():
        for r in rs:
            save("ingest.jsonl", {"backend": backend, "workers": " ".join(GUNICORN_WORKERS), **r})
    return rows_for(backend, runs)


def rows_for(backend: str, runs: dict) -> list[Row]:
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    p, c = runs["product"], runs["ceiling"]

    def med(rs, key, scale=1.0):
        value = median([r[key] for r in rs])
        return None if value is None else value * scale

    rps_p, rps_c = med(p, "rps"), med(c, "rps")
    p99_p, p99_c = med(p, "p99_us", 1e-3), med(c, "p99_us", 1e-3)
    lost_p, lost_c = sum(r["lost"] for r in p), sum(r["lost"] for r in c)
    errors_p = sum(r["socket_errors"] + sum(v for k, v in r["statuses"].items() if k != "201") for r in p)
    ratio = median([a["rps"] / b["rps"] for a, b in zip(p, c, strict=True) if b["rps"]]) or 0
    rss_p, rss_c = med(p, "worker_peak_rss_mb"), med(c, "worker_peak_rss_mb")
    bg = median([r["bg_cores"] for r in p + c])
    return [
        Row(
            f"ingest {name}: ratings/s (wrk -c{CONNECTIONS}, {len(p)} rounds)",
            rps_p,
            rps_c,
            "/s",
            f"≥ {RATIO_TARGET:.2f}× ceiling",
            ratio >= RATIO_TARGET,
            note=f"other load {bg:.1f} cores" if bg and bg > 0.3 else "",
            paired_ratio=ratio,
        ),
        Row(
            f"ingest {name}: p99 latency",
            p99_p,
            p99_c,
            "ms",
            f"≤ {P99_TARGET}× ceiling's",
            p99_p is not None and p99_c is not None and p99_p <= P99_TARGET * p99_c,
        ),
        Row(
            f"ingest {name}: server CPU per request",
            med(p, "server_cpu_ms_per_req"),
            med(c, "server_cpu_ms_per_req"),
            "ms",
        ),
        Row(
            f"ingest {name}: 201s not stored / non-201 + socket errors",
            lost_p,
            lost_c,
            "",
            "0 / 0",
            lost_p == 0 and errors_p == 0,
            note=f"{errors_p} errors",
        ),
        Row(
            f"ingest {name}: web worker peak RSS",
            rss_p,
            rss_c,
            "MB",
            f"≤ {RSS_TARGET}× ceiling's",
            rss_p is not None and rss_c is not None and rss_p <= RSS_TARGET * rss_c,
        ),
    ]


def run(backends=("sqlite", "postgresql")) -> list[Row]:
    rows = []
    for backend in backends:
        rows += run_backend(backend)
    return rows
