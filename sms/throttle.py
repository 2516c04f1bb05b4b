"""Provider calls in parallel, within a rate: how a morning's invitations leave.

Each SendSms waits for the network (tens of milliseconds to Aliyun, more when it is
slow), so one call after another leaves a few dozen SMS a second whatever the
machine. `call_all` makes up to `concurrency` calls at once from worker threads, each
with its own provider client (its own HTTP session), and spaces their starts at least
1/`qps` seconds apart across all of them (`Pace`), so that the account's QPS limit is
never passed. The calls touch no database: the caller records every attempt before
and settles every answer after, on its own connection.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor


class Pace:
    """Starts at most `qps` per second, evenly spaced (no burst): `wait()` before each call."""

    def __init__(self, qps: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / qps
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


def call_all(jobs: list, call, make_client, concurrency: int, qps: float) -> list:
    """`call(client, job)` for every job, from up to `concurrency` threads within `qps`;
    the results in the order of `jobs`. Clients are made per thread and closed at the end."""
    if not jobs:
        return []
    pace = Pace(qps)
    local = threading.local()
    clients, clients_lock = [], threading.Lock()

    def one(job):
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = make_client()
            with clients_lock:
                clients.append(client)
        pace.wait()
        return call(client, job)

    workers = max(1, min(concurrency, len(jobs)))
    try:
        if workers == 1:
            return [one(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sms-send") as pool:
            return list(pool.map(one, jobs))
    finally:
        for client in clients:
            client.close()
