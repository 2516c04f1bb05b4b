"""The inbox drained in lanes: worker processes side by side.

One drain is one thread that waits for its own Python and for the database in
turn, so it uses about one core. The `sms.inbox` job therefore drains in
`[sms] inbox_lanes` lanes: lane 0 in the job's own thread, lanes 1 … n-1 in
worker processes of a pool kept for the app's lifetime. A lane takes only the
callbacks of its phones (its share of `SmsInbox.phone_bucket`): one phone's
callbacks always go to one lane, in arrival order, and a phone's per-reply
limit is counted in one process. Threads would not do: their Python shares
one interpreter lock.

On SQLite the lanes share its one writer: a chunk takes the write lock for its
writes only, after its reads and decisions (sms/inbox.py), so one lane writes
while the others read and decide.

A worker builds its app once, from the settings of the scheduler's app, and
runs each lane until the run's deadline (wall-clock, shared by the processes)
with the scheduler's clock (frozen in tests). A worker that dies or hangs
leaves its lane's result missing: the pool is ended, its transactions roll
back, and the next run starts a new one.
"""

import importlib
import logging
import multiprocessing
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from flask import current_app

from core import clock
from core.config import current_settings

from .inbox import process_inbox

log = logging.getLogger(__name__)

# How long past the run's deadline a lane's result may take (a chunk that overruns its
# time cap, a worker still starting) before the pool counts as broken.
GRACE_SECONDS = 30.0
EXTENSION = "sms_lanes"


def lane_count() -> int:
    """How many lanes drain the inbox: `[sms] inbox_lanes`."""
    return current_settings().sms.inbox_lanes


def drain(budget_seconds: float) -> dict:
    """Drain the inbox in every lane until none is pending and `budget_seconds` have
    passed (lingering for new callbacks); returns the counts by outcome of all lanes."""
    lanes = lane_count()
    if lanes == 1:
        return process_inbox(budget_seconds=budget_seconds, linger=True)
    deadline = time.time() + budget_seconds
    running = _start_lanes(lanes, deadline)
    counts, failure = {}, None
    try:
        counts = process_inbox(budget_seconds=budget_seconds, linger=True, lane=(0, lanes))
    except Exception as exc:  # raised after the other lanes are in: a run ends with all its lanes
        failure = exc
    for index, future in enumerate(running, start=1):
        try:
            lane_counts = future.result(timeout=max(0.0, deadline - time.time()) + GRACE_SECONDS)
        except (TimeoutError, BrokenProcessPool) as exc:
            # A worker hung or died: its transaction rolls back (its callbacks stay pending)
            # and the next run starts new workers.
            log.error("sms inbox lane %d of %d gave no result (%r); its workers are restarted", index, lanes, exc)
            close()
            failure = failure or RuntimeError(f"sms inbox lane {index} gave no result")
            continue
        except Exception as exc:  # the lane's own error (a lost connection…), raised in its process
            failure = failure or exc
            continue
        for outcome, number in lane_counts.items():
            counts[outcome] = counts.get(outcome, 0) + number
    if failure is not None:
        raise failure
    return counts


def close() -> None:
    """End the worker processes of the current app's lanes (none started: nothing to do)."""
    started = current_app.extensions.pop(EXTENSION, None)
    if started is None:
        return
    pool = started[1]
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    # A hung worker would never take the pool's stop: ended here (Python 3.14 has
    # terminate_workers() for this; 3.11's pool keeps its processes in `_processes`).
    for process in processes:
        process.kill()
        process.join(timeout=10)
    # The pool's own thread reaps them too; until it has, a process it reaped first can
    # still look alive here (its exit code not yet recorded).
    if manager is not None:
        manager.join(timeout=10)


def _start_lanes(lanes: int, deadline: float) -> list:
    """Lanes 1 … n-1 started in the current app's workers, started first if need be."""
    args = (lanes, deadline, clock.frozen_at())
    try:
        return [_pool(lanes).submit(_run_lane, index, *args) for index in range(1, lanes)]
    except BrokenProcessPool:
        close()  # a worker died since the last run: a new pool
        return [_pool(lanes).submit(_run_lane, index, *args) for index in range(1, lanes)]


def _pool(lanes: int) -> ProcessPoolExecutor:
    """The current app's pool of `lanes - 1` workers."""
    app = current_app._get_current_object()
    started = app.extensions.get(EXTENSION)
    if started is not None and started[0] == lanes:
        return started[1]
    close()
    # spawn: a fresh interpreter, never a fork of the scheduler's threads and connections.
    # The worker builds its app with the factory that built this one: named, not imported
    # (nothing imports the factory).
    settings = app.config["SETTINGS"].to_dict()
    pool = ProcessPoolExecutor(
        lanes - 1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(app.import_name, settings),
    )
    app.extensions[EXTENSION] = (lanes, pool)
    return pool


# -- in a worker process ------------------------------------------------------------

_worker_app = None


def _start_worker(factory_module: str, settings: dict) -> None:
    global _worker_app
    # The scheduler stops its workers itself, after their lane's run: a Ctrl-C in its terminal,
    # or systemd's SIGTERM to the whole service, reaches them too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _worker_app = importlib.import_module(factory_module).create_app(settings)


def _run_lane(index: int, lanes: int, deadline: float, frozen) -> dict:
    clock.freeze(frozen)
    with _worker_app.app_context():
        return process_inbox(budget_seconds=max(0.0, deadline - time.time()), linger=True, lane=(index, lanes))
