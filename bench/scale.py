"""What grows with the ratings, on PostgreSQL: the tables' and rollups' sizes, and one raw
query beside its rollup equivalent (bench/README.md, "Scale on paper").

    python -m bench.generate --ratings 1000000 --db postgresql://postgres@127.0.0.1:5432/hcp_bench_big
    python -m bench.scale --db postgresql://postgres@127.0.0.1:5432/hcp_bench_big --label 1M
    python -m bench.generate --ratings 9000000 --db postgresql://postgres@127.0.0.1:5432/hcp_bench_big --seed 2
    python -m bench.scale --db postgresql://postgres@127.0.0.1:5432/hcp_bench_big --label 10M
"""

import argparse
import json
import time

TABLES = ("rating", "rating_rollup", "case_rollup", "ticket_rollup", "case", "ticket")
QUERIES = {
    "raw 12 months by department": (
        "SELECT department_id, level, count(*) FROM rating WHERE NOT excluded AND sequence = 1 "
        "AND created_at >= now()::date - interval '365 days' GROUP BY 1, 2"
    ),
    "rollup 12 months by department": (
        "SELECT department_id, level, sum(n) FROM rating_rollup WHERE dim = 'department' AND grain = 'm' "
        "AND period >= (date_trunc('month', now()) - interval '11 months')::date GROUP BY 1, 2"
    ),
    "rollup 12 months by staff": (
        "SELECT unit_id, level, sum(n) FROM rating_rollup WHERE dim = 'staff' AND grain = 'm' "
        "AND period >= (date_trunc('month', now()) - interval '11 months')::date GROUP BY 1, 2"
    ),
    "rollup this month by item (day rows)": (
        "SELECT unit_id, level, sum(n) FROM rating_rollup WHERE dim = 'item' AND grain = 'd' "
        "AND period >= date_trunc('month', now())::date GROUP BY 1, 2"
    ),
}


def measure(url: str, label: str, runs: int = 5) -> dict:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("ANALYZE")
    out: dict = {"label": label, "tables": {}, "queries_ms": {}}
    for table in TABLES:
        cur.execute(f'SELECT count(*), pg_total_relation_size(%s) FROM "{table}"', (table,))  # noqa: S608
        rows, size = cur.fetchone()
        out["tables"][table] = {"rows": rows, "total_mb": round(size / 2**20, 1)}
    cur.execute("SELECT grain, dim, count(*) FROM rating_rollup GROUP BY 1, 2 ORDER BY 1, 2")
    out["rollup_rows"] = {f"{grain}/{dim}": n for grain, dim, n in cur.fetchall()}
    for name, sql in QUERIES.items():
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            cur.execute(sql)
            cur.fetchall()
            times.append(time.perf_counter() - t0)
        out["queries_ms"][name] = round(sorted(times)[len(times) // 2] * 1000, 1)
    conn.close()
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scale")
    ap.add_argument("--db", required=True, help="a postgresql:// URL that bench.generate filled")
    ap.add_argument("--label", default="")
    args = ap.parse_args(argv)
    print(json.dumps(measure(args.db, args.label), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
