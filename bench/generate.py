"""Bulk-load realistic history: cases, ratings and the tickets of the bad ones.

    python -m bench.generate --ratings 1000000 --db sqlite:///tmp/hcp-1m.db
    python -m bench.generate --ratings 10000000 --db postgresql://postgres@127.0.0.1:5432/hcp_bench

The schema comes from the product's migrations and the units from the demo master
data (Huyi departments, halls, windows, staff, items, labels). Rows are written
below the ORM — stdlib `executemany` on SQLite, `COPY` on PostgreSQL — because the
ORM's per-row cost is the bottleneck of bulk loads (perf-baselines.md §4). Data is
appended after what is there; created_at rises with id over `--months` months
ending today, in office hours, as an append-only table would.

Mix: 85 % case ratings (one case each; channels sms/h5/wechat/pad/pc), 15 % case-less
on-site ratings (qr/pad/kiosk); levels 5:68 4:20 3:7 2:3 1:2 %, worse at a few weak
windows; every level 1–2 rating has its ticket; 0.5 % of the bad ones are excluded
(approved appeals).
"""

import argparse
import datetime as dt
import io
import random
import sqlite3
import time
from urllib.parse import unquote
from urllib.parse import urlparse

from tqdm import tqdm

from core import clock

CHUNK = 20000
CASE_CHANNELS = (("sms", 30), ("h5", 15), ("wechat", 25), ("pad", 25), ("pc", 5))
ONSITE_CHANNELS = (("qr", 60), ("pad", 25), ("kiosk", 15))
LEVELS = ((5, 68), (4, 20), (3, 7), (2, 3), (1, 2))
WEAK_LEVELS = ((5, 50), (4, 20), (3, 12), (2, 10), (1, 8))
OPEN_TICKET_STATES = ("new", "verifying", "rectifying", "replied")


def _expand(pairs) -> list:
    return [value for value, weight in pairs for _ in range(weight)]


class Units:
    """The master data every generated row points at."""

    def __init__(self):
        from models import Item
        from models import LabelSet
        from models import Staff
        from models import Window

        self.windows = [(w.id, w.hall_id, w.department_id) for w in Window.select().order_by(Window.id)]
        self.staff: dict[int, list[int]] = {}
        for s in Staff.select():
            self.staff.setdefault(s.window_id, []).append(s.id)
        self.items: dict[int, list[int]] = {}
        for i in Item.select():
            self.items.setdefault(i.department_id, []).append(i.id)
        label_set = LabelSet.current()
        self.label_version = label_set.version
        self.labels = {lvl: list(codes) for lvl, codes in label_set.codes_by_level().items()}
        rng = random.Random(7)
        self.weak = set(rng.sample([w[0] for w in self.windows], max(1, len(self.windows) // 30)))


def _next_id(model) -> int:
    from peewee import fn

    return (model.select(fn.MAX(model.id)).scalar() or 0) + 1


def _phone_columns(phone: str) -> tuple[str, str]:
    """applicant_phone and applicant_phone_hash as the product stores them (encrypted, hashed)."""
    from core import crypto as pii

    return pii.encrypt(phone, "case.applicant_phone"), pii.phone_hash(phone)


def generate_rows(units: Units, count: int, start: dict, months: int, seed: int, end: dt.datetime):
    """Yield (cases, ratings, tickets) row-tuple lists of about CHUNK ratings each."""
    rng = random.Random(seed)
    case_channels, onsite_channels = _expand(CASE_CHANNELS), _expand(ONSITE_CHANNELS)
    levels, weak_levels = _expand(LEVELS), _expand(WEAK_LEVELS)
    span = dt.timedelta(days=30 * months).total_seconds()
    begin = end - dt.timedelta(seconds=span)
    case_id, rating_id, ticket_id = start["case"], start["rating"], start["ticket"]
    step = span / max(1, count)
    for offset in range(0, count, CHUNK):
        cases, ratings, tickets = [], [], []
        for n in range(offset, min(count, offset + CHUNK)):
            at = begin + dt.timedelta(seconds=n * step)
            # office hours of that day, keeping the order of ids
            at = at.replace(hour=9 + (n * 7919 % 8), minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)
            window_id, hall_id, dept_id = rng.choice(units.windows)
            staff_id = rng.choice(units.staff.get(window_id) or [None])
            item_id = rng.choice(units.items.get(dept_id) or [None])
            level = rng.choice(weak_levels if window_id in units.weak else levels)
            labels = units.labels.get(level) or []
            label = rng.choice(labels) if labels and rng.random() < 0.6 else ""
            comment = "办事很顺利" if level >= 4 and rng.random() < 0.05 else ("等待时间太长" if level <= 2 else None)
            is_bad = level <= 2
            excluded = is_bad and rng.random() < 0.005
            if rng.random() < 0.85:
                completed = at - dt.timedelta(minutes=rng.randint(30, 60 * 48))
                accepted = completed - dt.timedelta(minutes=rng.randint(10, 120))
                cases.append(
                    (
                        case_id,
                        f"GEN{case_id:012d}",
                        item_id,
                        dept_id,
                        hall_id,
                        window_id,
                        staff_id,
                        "offline" if rng.random() < 0.8 else "online",
                        "completed",
                        accepted,
                        completed,
                        None,
                        *_phone_columns(f"13{rng.randrange(10**9):09d}"),
                        "person",
                        None,
                        f"G{case_id:013d}",
                        accepted,
                        completed,
                    )
                )
                rating = (rating_id, case_id, 1, level, label, units.label_version, comment, rng.choice(case_channels))
                rating += (f"sms:{case_id}", dept_id, hall_id, window_id, staff_id, item_id, is_bad, excluded)
                rating += ("申诉成立" if excluded else None, None, None, at, None, None)
                ticket_case = case_id
                case_id += 1
            else:
                channel = rng.choice(onsite_channels)
                rater = f"device:gen{window_id}" if channel != "qr" else f"browser:gen{rating_id}"
                rating = (rating_id, None, 1, level, label, units.label_version, comment, channel, rater, dept_id)
                rating += (hall_id, window_id, staff_id, None, is_bad, excluded, "申诉成立" if excluded else None)
                rating += (at.date(), None if channel != "qr" else 1, at, None, None)  # no network: not a client
                ticket_case = None
            ratings.append(rating)
            if is_bad:
                age = (end - at).days
                state = "closed" if age > 20 else rng.choice(OPEN_TICKET_STATES)
                replied = at + dt.timedelta(days=rng.randint(1, 5)) if state in ("closed", "replied") else None
                tickets.append(
                    (
                        ticket_id,
                        f"CP{at:%Y%m%d}{rating_id:09d}",
                        rating_id,
                        ticket_case,
                        dept_id,
                        state,
                        at + dt.timedelta(days=7),
                        "已核实并整改" if replied else None,
                        replied,
                        at,
                        replied or at,
                    )
                )
                ticket_id += 1
            rating_id += 1
        yield cases, ratings, tickets


def _columns(model) -> list[str]:
    return [f.column_name for f in model._meta.sorted_fields]


# The ticket tuples carry these columns; the workflow's other columns get their model defaults.
TICKET_COLUMNS = [
    "id",
    "ticket_no",
    "rating_id",
    "case_id",
    "department_id",
    "state",
    "due_at",
    "reply_text",
    "replied_at",
    "created_at",
    "updated_at",
]


def _full_rows(model, given: list[str], rows: list[tuple]) -> list[tuple]:
    """Rows of `given` columns → rows of every column, the rest filled with the fields' defaults."""
    fields = model._meta.sorted_fields
    position = {name: i for i, name in enumerate(given)}
    fill = []
    for field in fields:
        if field.column_name in position:
            fill.append((position[field.column_name], None))
        else:
            default = field.default() if callable(field.default) else field.default
            fill.append((None, default))
    return [tuple(row[i] if i is not None else default for i, default in fill) for row in rows]


class SqliteWriter:
    def __init__(self, url: str):
        path = unquote(urlparse(url).path[1:])
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=OFF")  # a bulk load is re-run, not recovered

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        marks = ", ".join("?" * len(columns))
        sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608 (model metadata)
        self.conn.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in rows])

    def begin(self):
        self.conn.execute("BEGIN")

    def commit(self):
        self.conn.execute("COMMIT")

    def finish(self):
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


def _sqlite_value(v):
    # peewee's storage: datetimes and dates as ISO text, booleans as 0/1
    if isinstance(v, dt.datetime | dt.date):
        return str(v)
    if isinstance(v, bool):
        return int(v)
    return v


class PostgresWriter:
    def __init__(self, url: str):
        import psycopg2

        p = urlparse(url)
        self.conn = psycopg2.connect(
            dbname=unquote(p.path.lstrip("/")),
            user=unquote(p.username) if p.username else None,
            password=unquote(p.password) if p.password else None,
            host=p.hostname,
            port=p.port or 5432,
        )
        self.tables: list[str] = []

    def write(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        buf = io.StringIO()
        for row in rows:
            buf.write("\t".join(_copy_value(v) for v in row))
            buf.write("\n")
        buf.seek(0)
        with self.conn.cursor() as cur:
            cur.copy_expert(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN', buf)
        if table not in self.tables:
            self.tables.append(table)

    def begin(self):
        pass

    def commit(self):
        self.conn.commit()

    def finish(self):
        from psycopg2 import sql

        with self.conn.cursor() as cur:
            for table in self.tables:
                query = sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {}))")
                cur.execute(query.format(sql.Identifier(table)), (f'"{table}"',))
        self.conn.commit()
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        self.conn.close()


def _copy_value(v) -> str:
    if v is None:
        return r"\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, str):
        return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return str(v)


def generate(url: str, ratings: int, months: int = 36, seed: int = 1, progress: bool = True) -> dict:
    """Migrate `url`, load master data if missing, append `ratings` ratings; returns timings."""
    from demo.seed import seed_master_data
    from figures import triggers
    from models import Case
    from models import Department
    from models import Rating
    from models import Ticket
    from models import db
    from models import init_database
    from models.migrate import migrate

    t0 = time.perf_counter()
    database = init_database(url)
    migrate()
    with db.connection_context():
        if not Department.select().exists():
            with db.atomic():
                seed_master_data(random.Random(2026))
        units = Units()
        start = {"case": _next_id(Case), "rating": _next_id(Rating), "ticket": _next_id(Ticket)}
        # Row triggers would maintain the rollups one row at a time: a bulk load
        # drops them, then rebuilds the rollups in set statements and puts them back.
        for kept in triggers.ROLLUPS:
            triggers.uninstall(kept)
    database.close_all()
    writer = SqliteWriter(url) if url.startswith("sqlite") else PostgresWriter(url)
    columns = {m: _columns(m) for m in (Case, Rating, Ticket)}
    end = clock.now().replace(microsecond=0)  # Beijing time, as the product stamps ratings
    counts = {"cases": 0, "ratings": 0, "tickets": 0}
    bar = tqdm(total=ratings, unit="rating", unit_scale=True, disable=not progress, desc="ratings")
    for cases, rows, tickets in generate_rows(units, ratings, start, months, seed, end):
        writer.begin()
        writer.write(Case._meta.table_name, columns[Case], cases)
        writer.write(Rating._meta.table_name, columns[Rating], rows)
        writer.write(Ticket._meta.table_name, columns[Ticket], _full_rows(Ticket, TICKET_COLUMNS, tickets))
        writer.commit()
        counts["cases"] += len(cases)
        counts["ratings"] += len(rows)
        counts["tickets"] += len(tickets)
        bar.update(len(rows))
    bar.close()
    t_load = time.perf_counter() - t0
    writer.finish()
    t1 = time.perf_counter()
    database = init_database(url)
    with db.connection_context():
        for kept in triggers.ROLLUPS:
            triggers.rebuild(kept)
            triggers.install(kept)
        for table in ("rating_rollup", "case_rollup", "ticket_rollup"):
            db.execute_sql(f"ANALYZE {table}")
    database.close_all()
    t_rollup = time.perf_counter() - t1
    return {**counts, "load_s": t_load, "rollup_s": t_rollup, "total_s": time.perf_counter() - t0}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--ratings", type=int, required=True, help="how many ratings to append")
    ap.add_argument("--db", required=True, help="database URL: sqlite:///path or postgresql://…")
    ap.add_argument("--months", type=int, default=36, help="months of history the ratings span (default 36)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    result = generate(args.db, args.ratings, args.months, args.seed)
    print(
        f"{result['ratings']:,} ratings, {result['cases']:,} cases, {result['tickets']:,} tickets "
        f"in {result['total_s']:.1f} s ({result['ratings'] / result['load_s']:,.0f} ratings/s loading, "
        f"{result['total_s'] - result['load_s']:.1f} s ANALYZE)"
    )


if __name__ == "__main__":
    main()
