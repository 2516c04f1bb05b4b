"""What every benchmark part shares: result rows, the machine, databases,
gunicorn servers (started and stopped by PID), wrk, CPU accounting and RSS.

All load stays on 127.0.0.1; servers bind a free port found at start.
"""

import http.client
import json
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.environ.get("BENCH_RESULTS", os.path.join(ROOT, "bench", "results"))
PG_URL = os.environ.get("HCP_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/hcp_bench")
GUNICORN_WORKERS = os.environ.get("BENCH_WORKERS", "-k sync -w 4").split()
HZ = os.sysconf("SC_CLK_TCK")
WORKER_COUNT = int(GUNICORN_WORKERS[GUNICORN_WORKERS.index("-w") + 1]) if "-w" in GUNICORN_WORKERS else 1


@dataclass
class Row:
    """One line of the table: the product beside its ceiling."""

    measure: str
    product: float | None
    ceiling: float | None
    unit: str
    target: str = ""
    passed: bool | None = None
    note: str = ""
    # The median of product/ceiling over interleaved rounds, when measured in pairs:
    # steadier than a ratio of medians on a machine whose load drifts between rounds.
    paired_ratio: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.paired_ratio is not None:
            return self.paired_ratio
        if self.product is None or not self.ceiling:
            return None
        return self.product / self.ceiling

    def to_dict(self) -> dict:
        return {**self.__dict__, "ratio": self.ratio}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms" or unit == "s":
        return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:,.0f} {unit}"


def render(rows: list[Row]) -> str:
    header = ("measure", "product", "ceiling (same run)", "ratio", "target", "result")
    lines = []
    for r in rows:
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        result = {True: "PASS", False: "FAIL", None: "n/a"}[r.passed]
        if r.note:
            result += f" ({r.note})"
        lines.append((r.measure, fmt(r.product, r.unit), fmt(r.ceiling, r.unit), ratio, r.target, result))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=False)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(cells) for cells in lines]
    return "\n".join(out)


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def save(name: str, data) -> str:
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, name)
    with open(path, "a") as fh:
        fh.write(json.dumps(data, default=str) + "\n")
    return path


# ---------------------------------------------------------------- databases


class Target:
    """A throw-away database of one backend: a temp SQLite file, or one of the hcp_bench*
    PostgreSQL databases, emptied before and after (the database itself is kept)."""

    def __init__(self, backend: str, tag: str = "product"):
        self.backend = backend
        self.tag = tag
        self._dir = None
        if backend == "sqlite":
            self._dir = tempfile.mkdtemp(prefix=f"hcp-bench-{tag}-")
            self.url = f"sqlite:///{self._dir}/bench.db"
        elif backend == "postgresql":
            base = urlparse(PG_URL)
            self.url = base._replace(path=f"{base.path.rstrip('/')}_{tag}" if tag != "product" else base.path).geturl()
        else:
            raise ValueError(f"unknown backend {backend!r}")

    def create(self) -> "Target":
        if self.backend == "postgresql":
            pg_admin(self.url, "create")
        return self

    def drop(self) -> None:
        if self.backend == "postgresql":
            pg_admin(self.url, "drop")
        elif self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)


def pg_admin(url: str, action: str) -> None:
    """Make the database named in `url` empty ("create": created if missing) or leave it empty
    ("drop"). Its schema is dropped and made anew rather than the database: DROP DATABASE
    forces an immediate checkpoint of the whole cluster, which on a machine whose disk is
    busy with other work took minutes. Other sessions on it are ended first."""
    import psycopg2
    from psycopg2 import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    params = {"user": parsed.username, "password": parsed.password, "host": parsed.hostname}
    params.update(port=parsed.port or 5432, connect_timeout=5)
    conn = psycopg2.connect(dbname="postgres", **params)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        exists = cur.fetchone() is not None
        if not exists and action == "create":
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
    conn.close()
    if not exists and action != "create":
        return
    conn = psycopg2.connect(dbname=name, **params)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cur.execute("CREATE SCHEMA public")
    conn.close()


# ---------------------------------------------------------------- CPU and memory


def cpu_ticks() -> tuple[int, int]:
    with open("/proc/stat") as fh:
        vals = list(map(int, fh.readline().split()[1:]))
    return sum(vals[:8]), vals[3] + vals[4]


def busy_cores(seconds: float = 1.0) -> float:
    t0, i0 = cpu_ticks()
    time.sleep(seconds)
    t1, i1 = cpu_ticks()
    return (1 - (i1 - i0) / max(1, t1 - t0)) * os.cpu_count()


def quiet_gate() -> dict:
    """On a shared machine, wait (bounded) until other processes use at most BENCH_MAX_BG cores."""
    max_bg = float(os.environ.get("BENCH_MAX_BG", "0.3"))
    max_wait = float(os.environ.get("BENCH_MAX_BG_WAIT", "30"))
    t0 = time.time()
    bg = busy_cores()
    while bg > max_bg and time.time() - t0 < max_wait:
        time.sleep(1)
        bg = busy_cores()
    return {"bg_cores": round(bg, 2), "waited_s": round(time.time() - t0, 1)}


def children(pid: int) -> list[int]:
    """The live child processes of `pid`, started by any of its threads (the scheduler's
    SMS lane workers are started from a job's thread, not the main one)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(x) for x in fh.read().split()]
        except OSError:
            pass
    return found


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the peak resident set size of one process, in MB."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its live children (gunicorn master + workers)."""
    total = 0
    for p in [pid, *children(pid)]:
        try:
            with open(f"/proc/{p}/stat") as fh:
                raw = fh.read()
            rest = raw[raw.rindex(")") + 2 :].split()
            total += int(rest[11]) + int(rest[12])
        except OSError:
            pass
    return total / HZ


def postgres_cpu_seconds(url: str) -> float:
    """User + system CPU of the PostgreSQL backends connected to the database of `url`
    (its name is in their process title), so that other databases' load on a shared
    machine is not counted; 0 for SQLite."""
    parsed = urlparse(url)
    if parsed.scheme != "postgresql":
        return 0.0
    marker = f" {parsed.path.lstrip('/')} ".encode()
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                title = fh.read()
            if not title.startswith(b"postgres: ") or marker not in title:
                continue
            with open(f"/proc/{pid}/stat") as fh:
                raw = fh.read()
        except OSError:
            continue
        rest = raw[raw.rindex(")") + 2 :].split()
        total += int(rest[11]) + int(rest[12])
    return total / HZ


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with the benchmark's worker settings, stopped by its own PID."""

    def __init__(self, app: str, env: dict, name: str):
        self.port = free_port()
        os.makedirs(RESULTS, exist_ok=True)
        self.logfile = open(os.path.join(RESULTS, f"{name}.log"), "a")
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        cmd = [gunicorn, "--chdir", ROOT, "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        cmd += GUNICORN_WORKERS + [app]
        # a fixed local command line: gunicorn from this venv and a module of this repository
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, env={**os.environ, **env}, stdout=self.logfile, stderr=self.logfile
        )
        self._wait_ready()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_ready(self, timeout: float = 60) -> None:
        """Until every worker has booted: gunicorn's master listens before its workers have
        imported the app (seconds each on a busy machine), so an open port proves nothing.
        Ready when `GET /healthz` (both apps have it) answers 200 on as many fresh connections
        in a row as there are workers, each within a second."""
        t0, ok = time.time(), 0
        while time.time() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.logfile.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
            except (OSError, http.client.HTTPException):
                status = None
            ok = ok + 1 if status == 200 else 0
            if ok >= max(4, len(self.workers())) and len(self.workers()) >= WORKER_COUNT:
                return
            time.sleep(0.05 if status == 200 else 0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {self.logfile.name}")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def worker_peak_rss_mb(self) -> float | None:
        values = [v for v in (peak_rss_mb(p) for p in self.workers()) if v is not None]
        return max(values) if values else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logfile.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------- clients


@contextmanager
def sampled(pid: int, variable: str, *, idle: bool = False, subprocesses: bool = False):
    """With <variable>=<file> in the environment, sample `pid` with py-spy for the block, as
    collapsed stacks per thread (`idle`: waits included; `subprocesses`: its children too)."""
    out = os.environ.get(variable)
    if not out:
        yield
        return
    exe = os.path.join(os.path.dirname(sys.executable), "py-spy")
    cmd = [exe, "record", "--pid", str(pid), "--format", "raw", "--output", out, "--rate", "200", "--nonblocking"]
    cmd += ["--threads"] + (["--idle"] if idle else []) + (["--subprocesses"] if subprocesses else [])
    spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - local py-spy
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        spy.wait(timeout=30)


def run_clients(port: int, items: list, clients: int, handle, timeout: float = 120) -> float:
    """Hand every item once to one of `clients` threads, each with its own keep-alive
    connection to 127.0.0.1:`port` (`handle(conn, item)`; a closed connection reconnects
    on its next request). Returns the seconds until the last item was handled."""
    work: queue.Queue = queue.Queue()
    for item in items:
        work.put(item)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                break
            handle(conn, item)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


# ---------------------------------------------------------------- wrk


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk is not installed: run bench/run (it installs Debian's wrk) or apt-get install wrk")
    return path


WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
    '"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def run_wrk(url: str, script: str, args: list[str]) -> dict:
    cmd = [ensure_wrk(), *args, "--latency", "-s", script, url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)  # noqa: S603 (local wrk)
    text = out.stdout + out.stderr
    m = re.search(r"WRKJSON (\{.*\})", text)
    if not m:
        raise RuntimeError("wrk output not understood:\n" + text)
    r = json.loads(m.group(1))
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["socket_errors"] = r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"]
    return r


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None
