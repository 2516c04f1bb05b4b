"""`python -m bench [part ...] [--backend sqlite|postgresql] [--quick]`: run benchmark parts, print one table.

Parts are registered in PARTS as "module:function"; the function takes the backends
and returns table rows (bench.common.Row). `--quick` runs every part at the reduced
sizes of QUICK (each can still be set in the environment), in about two minutes and a
half on the project's 2-core machine: the same table and the same ratios against the
same ceilings, marked quick — a check of a change, not a final figure (start-up costs
weigh more in small runs, and one round is one sample).
"""

import argparse
import importlib
import json
import os
import sys
import time

from .common import RESULTS
from .common import log
from .common import machine
from .common import render
from .common import save

# name -> (callable path, what it measures). Order is the order of `bench/run` with no part named.
PARTS: dict[str, tuple[str, str]] = {
    "ingest": ("bench.ingest:run", "POST /api/v1/ratings under gunicorn + wrk vs the bare insert endpoint"),
    "batch": ("bench.batch:run", "cases/s through /api/v1/cases/batch vs the bare insert_many endpoint"),
    "figures": ("bench.figures:run", "generate 1M ratings; time the dashboard/report GROUP BYs"),
    "upstream": ("bench.upstream:run", "100,000-rating backlog → the city simulator, by the scheduler process"),
    "sms": ("bench.sms:run", "10,000 SmsUp replies in callbacks of 100 → time until all are ratings"),
    "invite": ("bench.invite:run", "10,000 SMS invitations sent by the scheduler vs a bare SDK loop, same fake"),
}
BACKENDS = ("sqlite", "postgresql")
# The reduced sizes of --quick (environment variables the parts read when they are imported).
QUICK = {
    "BENCH_ROUNDS": "1",
    "BENCH_DURATION": "3s",
    "BENCH_BATCH_CASES": "8000",
    "BENCH_RATINGS": "50000",
    "BENCH_UPSTREAM_RATINGS": "20000",
    "BENCH_SMS_REPLIES": "2000",
    "BENCH_INVITES": "2000",
    "BENCH_MAX_BG_WAIT": "3",
}


def load(name: str):
    module, _, func = PARTS[name][0].partition(":")
    return getattr(importlib.import_module(module), func)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench/run", description="Benchmarks: the product beside its ceiling.")
    ap.add_argument("parts", nargs="*", help="parts to run (default: all): " + ", ".join(PARTS))
    ap.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    ap.add_argument("--list", action="store_true", help="list the parts and exit")
    ap.add_argument("--quick", action="store_true", help="every part at a reduced size (~2.5 minutes), marked quick")
    args = ap.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            os.environ.setdefault(key, value)
    if args.list:
        for name, (_, what) in PARTS.items():
            print(f"{name:10s} {what}")
        return 0
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part(s) {', '.join(unknown)}; known: {', '.join(PARTS)}")
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    info = machine()
    log(f"machine: {json.dumps(info, ensure_ascii=False)}")
    rows, started = [], time.time()
    for name in args.parts or list(PARTS):
        log(f"== {name}")
        rows += load(name)(backends)
    if args.quick:
        for row in rows:
            row.measure += " (quick)"
    table = render(rows)
    header = (
        f"Benchmarks{' — QUICK (reduced sizes, one round: a check, not final figures)' if args.quick else ''} "
        f"{info['date']} — {info['nproc']} × {info['cpu']}, Python {info['python']}, "
        f"load average at start {' '.join(info['loadavg'])}; {time.time() - started:.0f} s"
    )
    print(header)
    print(table)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "latest-quick.md" if args.quick else "latest.md"), "w") as fh:
        fh.write(header + "\n\n" + table + "\n")
    save("runs.jsonl", {"machine": info, "quick": args.quick, "rows": [r.to_dict() for r in rows]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
