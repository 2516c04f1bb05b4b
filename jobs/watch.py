"""Keeping the scheduler alive: its lock watched and taken again, its heartbeat written.

A scheduler whose lock connection died used to exit for good (rc 1): without a
supervisor, SMS and the city push stopped silently. Now it pauses the jobs
(another process may take the lock meanwhile, and two must never run them),
reconnects and takes the lock again — or stands by while another process holds
it — and says so: a log line at each change, and its state in
`scheduler_process`, which /healthz and the admin's job page read.
"""

import logging
import os
import socket

from models import SchedulerProcess
from models import db

log = logging.getLogger("jobs")


class Heartbeat:
    """This process's row in `scheduler_process`; a failure to write it is logged, never raised."""

    def __init__(self):
        self.host, self.pid = socket.gethostname()[:100], os.getpid()
        self._failing = False

    def __call__(self, state: str, message: str = "") -> None:
        try:
            with db.connection_context():
                SchedulerProcess.beat(self.host, self.pid, state, message[:500])
            self._failing = False
        except Exception as exc:
            if not self._failing:
                log.warning("could not record the scheduler's state (%s: %s)", type(exc).__name__, exc)
            self._failing = True

    def gone(self) -> None:
        try:
            with db.connection_context():
                SchedulerProcess.delete().where(
                    (SchedulerProcess.host == self.host) & (SchedulerProcess.pid == self.pid)
                ).execute()
        except Exception:
            log.debug("could not remove the scheduler's state row", exc_info=True)


def try_lock(lock) -> tuple[bool, str, str]:
    """(got it, state, what to say) for one attempt at the lock."""
    try:
        if lock.try_acquire():
            return True, "active", ""
        return False, "standby", f"another scheduler holds the lock; waiting (pid {os.getpid()})"
    except Exception as exc:  # the database is unreachable: keep trying, never exit
        return False, "lock_lost", f"cannot reach the database to take the scheduler lock ({type(exc).__name__}: {exc})"


def wait_for_lock(lock, poll_seconds: int, stop, beat: Heartbeat) -> bool:
    """Wait until the lock is ours (True) or `stop` is set (False)."""
    said = None
    while True:
        got, state, message = try_lock(lock)
        if got:
            return True
        if message != said:
            (log.info if state == "standby" else log.warning)(message)
            said = message
        beat(state, message)
        if stop.wait(poll_seconds):
            return False


class LockWatchdog:
    """Run every `jobs.watchdog_seconds` by the scheduler itself: beat while the lock
    holds; when it is lost, pause the jobs and take it again, resuming them once held."""

    def __init__(self, scheduler, lock, job_ids: list[str], beat: Heartbeat):
        self.scheduler, self.lock, self.job_ids, self.beat = scheduler, lock, job_ids, beat
        self.holding = True
        self._said = None

    def check(self) -> None:
        if self.holding and self.lock.alive():
            self.beat("active")
            return
        if self.holding:
            self.holding = False
            for job_id in self.job_ids:
                self.scheduler.pause_job(job_id)
            log.error("the scheduler lock was lost (its database connection is gone): jobs paused; taking it again")
        got, state, message = try_lock(self.lock)
        if got:
            self.holding, self._said = True, None
            for job_id in self.job_ids:
                self.scheduler.resume_job(job_id)
            log.warning("scheduler lock taken again (pid %s): jobs resumed", os.getpid())
            self.beat("active", "lock taken again")
            return
        if message != self._said:
            log.warning("scheduler lock not held: %s", message)
            self._said = message
        self.beat(state, message)
