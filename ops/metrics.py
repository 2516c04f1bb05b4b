"""`/metrics`: Prometheus text format (version 0.0.4), read from the database at scrape time.

Figures are counts by code-like labels only (channel, level, state, kind, job):
never a name, a phone number or a free text. Process counters (answers by status
class) are per worker process; the database figures are the same from every worker.
Access: the addresses in `[metrics] allowed_ips` (default loopback), or
`Authorization: Bearer <[metrics] token>`.
"""

import hmac
import ipaddress
import threading
from collections import Counter

from flask import Response
from flask import abort
from flask import jsonify
from flask import make_response
from flask import request
from peewee import fn

from core import clock
from core.config import current_settings
from jobs.status import scheduler_health
from models import Invitation
from models import JobRun
from models import Outbox
from models import Rating
from models import Ticket
from models import UpstreamPush
from models.ticket import OPEN_STATES

from . import bp

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_lock = threading.Lock()
_responses: Counter = Counter()


PATH = "/metrics"


def count_answer(status: str) -> None:
    """An answer of this process by status class ("201 CREATED" -> 2xx; 5xx are the errors to
    alert on); ops/headers.py's middleware calls it for every answer but a scrape's."""
    with _lock:
        _responses[status[0] + "xx"] += 1


@bp.get(PATH)
def metrics():
    _authorize()
    return Response(render(), content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def _authorize() -> None:
    settings = current_settings().metrics
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if settings.token and scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), settings.token):
        return
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        client = None
    if client is not None and any(client in ipaddress.ip_network(n, strict=False) for n in settings.allowed_ips):
        return
    # JSON like every other refusal here (error() would render a page: /metrics is not under /api).
    abort(make_response(jsonify({"error": {"code": "forbidden", "message": "无权读取监控指标"}}), 403))


class Family:
    """One metric family: HELP, TYPE and its samples."""

    def __init__(self, name: str, kind: str, help_text: str):
        self.name, self.kind, self.help_text = name, kind, help_text
        self.samples: list[tuple[dict, float]] = []

    def add(self, value, **labels) -> "Family":
        self.samples.append((labels, value))
        return self

    def lines(self) -> list[str]:
        out = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} {self.kind}"]
        for labels, value in self.samples:
            rendered = ",".join(f'{key}="{_escape(str(val))}"' for key, val in labels.items())
            out.append(f"{self.name}{{{rendered}}} {_number(value)}" if labels else f"{self.name} {_number(value)}")
        return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _grouped(model, *fields):
    query = model.select(*fields, fn.COUNT(model.id).alias("n")).group_by(*fields).tuples()
    return list(query)


def families() -> list[Family]:
    now = clock.now()
    ratings = Family("hcp_ratings_total", "counter", "Ratings received, by channel and level (1 worst .. 5 best).")
    for channel, level, n in _grouped(Rating, Rating.channel, Rating.level):
        ratings.add(n, channel=channel, level=level)
    bad = Family("hcp_bad_reviews_total", "counter", "Bad reviews (level 1 or 2) received.")
    bad.add(Rating.select().where(Rating.is_bad == True).count())  # noqa: E712
    tickets = Family("hcp_tickets", "gauge", "Bad-review tickets by state.")
    for state, n in _grouped(Ticket, Ticket.state):
        tickets.add(n, state=state)
    overdue = Family("hcp_tickets_overdue", "gauge", "Open tickets past their deadline.")
    overdue.add(Ticket.select().where(Ticket.state.in_(OPEN_STATES), Ticket.due_at < now).count())
    invitations = Family("hcp_invitations", "gauge", "Rating invitations by channel and state.")
    for channel, state, n in _grouped(Invitation, Invitation.channel, Invitation.state):
        invitations.add(n, channel=channel, state=state)
    outbox = Family("hcp_outbox", "gauge", "Outbox rows (messages leaving the process) by kind and state.")
    for kind, state, n in _grouped(Outbox, Outbox.kind, Outbox.state):
        outbox.add(n, kind=kind, state=state)
    backlog = Family("hcp_outbox_backlog", "gauge", "Pending outbox rows already due, by kind.")
    due = Outbox.select(Outbox.kind, fn.COUNT(Outbox.id)).where(Outbox.state == "pending", Outbox.available_at <= now)
    for kind, n in due.group_by(Outbox.kind).tuples():
        backlog.add(n, kind=kind)
    pushes = Family("hcp_upstream_pushes", "gauge", "Ratings pushed to the city system, by push state.")
    for state, n in _grouped(UpstreamPush, UpstreamPush.state):
        pushes.add(n, state=state)
    job_failures = Family("hcp_job_failures_total", "counter", "Failed runs of each scheduled job.")
    job_ok = Family("hcp_job_last_run_ok", "gauge", "1 when the job's last run succeeded.")
    for run in JobRun.select().order_by(JobRun.job_id):
        job_failures.add(run.failures, job=run.job_id)
        job_ok.add(bool(run.last_ok), job=run.job_id)
    scheduler = Family("hcp_scheduler_ok", "gauge", "1 when a scheduler holds its lock and runs every job on time.")
    scheduler.add(int(scheduler_health()["status"] == "ok"))
    answers = Family("hcp_http_responses_total", "counter", "HTTP answers of this process by status class.")
    with _lock:
        snapshot = dict(_responses)
    for status in ("2xx", "3xx", "4xx", "5xx"):
        answers.add(snapshot.get(status, 0), status=status)
    return [
        ratings,
        bad,
        tickets,
        overdue,
        invitations,
        outbox,
        backlog,
        pushes,
        job_failures,
        job_ok,
        scheduler,
        answers,
    ]


def render() -> str:
    lines = []
    for family in families():
        lines.extend(family.lines())
    return "\n".join(lines) + "\n"
