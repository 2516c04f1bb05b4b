"""Invitations out: the SMS invitations of 10,000 completed cases, sent by the product's
scheduler (`flask --app app jobs run`, only its `sms.send` job enabled) to the fake Aliyun
running in a process of its own, beside a bare SDK loop against the same fake.

Setup (not timed): a fresh database, the cases through batch intake (`cases.batch`), each
with its own phone, completed an hour ago, so every one has a scheduled invitation and its
`sms.invite` outbox row. The clock runs from the scheduler's spawn (its start-up included)
until every invitation is `sent`. Checked: the fake accepted exactly one SendSms per
invitation (its out_id, the invitation's id, is never sent twice, none is missing), and
every invitation, attempt and outbox row is settled.

Ceiling: `aliyunsdkcore`'s AcsClient sending the same SendSms (same sign name, template,
parameters), one call after another, to the same fake: what one caller gets from the
provider. The product sends in parallel within `sms.aliyun.qps` (its default); its ratio
says what that buys against one honest loop. Target: ≥ 300 invitations/s.
"""

import http.client
import json
import os
import sys
import time

from . import product
from .common import Row
from .common import Target
from .common import free_port
from .common import log
from .common import peak_rss_mb
from .common import postgres_cpu_seconds
from .common import quiet_gate
from .common import save
from .common import tree_cpu_seconds
from .sms import FAKE_AK
from .sms import FAKE_SECRET
from .sms import phones
from .sms import sms_env
from .upstream import Process

INVITES = int(os.environ.get("BENCH_INVITES", "10000"))
TIMEOUT = float(os.environ.get("BENCH_INVITE_TIMEOUT", "600"))


class FakeProcess(Process):
    """The fake Aliyun Dysmsapi (`python -m sms.fake_aliyun`) in its own process."""

    def __init__(self, name: str):
        self.port = free_port()
        args = ["-m", "sms.fake_aliyun", "--port", str(self.port), "--access-key-id", FAKE_AK]
        args += ["--access-key-secret", FAKE_SECRET, "--no-reports"]
        super().__init__(args, {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}, name)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.sent()
                return
            except OSError:
                if not self.alive() or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the fake did not start; see {self.logfile.name}") from None
                time.sleep(0.1)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def sent(self) -> list[dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", "/__fake/sent")
            return json.loads(conn.getresponse().read())["sent"]
        finally:
            conn.close()


def seed_cases(fixture, numbers: list[str], env: dict) -> float:
    """Completed cases with these phones through batch intake: each schedules its invitation."""
    from models import db

    from .sms import in_app
    from .sms import store_cases

    app = in_app(env)
    t0 = time.perf_counter()
    with app.app_context():
        answers = store_cases(fixture, numbers, "INV", seed=5, hours_ago=1)
    bad = [r for r in answers if r.get("invitation") != "scheduled"]
    if bad:
        raise RuntimeError(f"batch intake did not schedule {len(bad)} invitations: {bad[:3]}")
    db.obj.close_all()
    return time.perf_counter() - t0


def sent_count(url: str) -> int:
    from models import Invitation
    from models import db

    with db.connection_context():
        return Invitation.select().where(Invitation.state == "sent").count()


def settled(url: str) -> dict:
    from peewee import fn

    from models import Invitation
    from models import Outbox
    from models import db
    from models.sms import SmsMessage

    database = product.bind(url)
    with db.connection_context():
        found = {
            "invitations": dict(
                Invitation.select(Invitation.state, fn.COUNT(Invitation.id)).group_by(Invitation.state).tuples()
            ),
            "attempts": dict(
                SmsMessage.select(SmsMessage.state, fn.COUNT(SmsMessage.id)).group_by(SmsMessage.state).tuples()
            ),
            "outbox": dict(
                Outbox.select(Outbox.state, fn.COUNT(Outbox.id))
                .where(Outbox.kind == "sms.invite")
                .group_by(Outbox.state)
                .tuples()
            ),
            "ids": [i for (i,) in Invitation.select(Invitation.id).tuples()],
        }
    database.close_all()
    return found


def product_run(backend: str) -> dict:
    target = Target(backend, "product").create()
    fake = FakeProcess(f"invite-fake-{backend}")
    try:
        log(f"invite {backend}: setup — {INVITES} completed cases, their invitations scheduled")
        fixture = product.prepare(target.url)
        env = sms_env(target.url, fake.endpoint)
        from jobs.table import JOBS

        env["HCP_JOBS_DISABLED"] = ",".join(row["id"] for row in JOBS if row["id"] != "sms.send")
        setup_s = seed_cases(fixture, phones(INVITES, seed=11), env)
        log(f"  cases {setup_s:.1f} s")
        database = product.bind(target.url)
        gate = quiet_gate()
        child = {k: v for k, v in os.environ.items() if not k.startswith("HCP_")}
        scheduler = Process(
            ["-m", "flask", "--app", "app", "jobs", "run"], {**child, **env}, f"invite-scheduler-{backend}"
        )
        pg0 = postgres_cpu_seconds(target.url)
        t0 = time.perf_counter()
        n, cpu, rss = 0, 0.0, None
        try:
            while n < INVITES and time.perf_counter() - t0 < TIMEOUT:
                if not scheduler.alive():
                    raise RuntimeError(f"the scheduler exited; see {scheduler.logfile.name}")
                time.sleep(0.2)
                n = sent_count(target.url)
                cpu, rss = tree_cpu_seconds(scheduler.pid), peak_rss_mb(scheduler.pid)
            elapsed = time.perf_counter() - t0
            pg_cpu = postgres_cpu_seconds(target.url) - pg0
        finally:
            scheduler.stop()
            database.close_all()
        sent = fake.sent()
        found = settled(target.url)
    finally:
        fake.stop()
        target.drop()
    out_ids = [r["out_id"] for r in sent]
    ids = {str(i) for i in found["ids"]}
    result = {
        "kind": "product",
        "seconds": elapsed if n >= INVITES else None,
        "rate": INVITES / elapsed if n >= INVITES else None,
        "sent_at_stop": n,
        "calls": len(sent),
        "duplicated": len(out_ids) - len(set(out_ids)),
        "missing": len(ids - set(out_ids)),
        "unsettled": INVITES - found["invitations"].get("sent", 0),
        "attempts": found["attempts"],
        "outbox": found["outbox"],
        "scheduler_cpu_s": cpu,
        "postgres_cpu_s": pg_cpu,
        "scheduler_peak_rss_mb": rss,
        "setup_s": setup_s,
        **gate,
    }
    log(
        f"  product {result['rate'] or float('nan'):.0f}/s ({n} in {elapsed:.1f} s); calls {len(sent)}, "
        f"duplicated {result['duplicated']}, missing {result['missing']}; scheduler CPU {cpu:.1f} s, "
        f"RSS {rss or 0:.0f} MB; bg {gate['bg_cores']}"
    )
    return result


def ceiling_run(backend: str, count: int) -> dict:
    """The bare SDK loop: SendSms one after another to a fresh fake, the product's parameters."""
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest

    fake = FakeProcess(f"invite-fake-ceiling-{backend}")
    try:
        client = AcsClient(FAKE_AK, FAKE_SECRET, "cn-hangzhou", auto_retry=False, max_retry_time=0)
        numbers = phones(count, seed=13)
        gate = quiet_gate()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        for n, phone in enumerate(numbers):
            req = CommonRequest(domain=fake.endpoint, version="2017-05-25", action_name="SendSms")
            req.set_method("POST")
            req.set_protocol_type("http")
            req.set_accept_format("json")
            for key, value in (
                ("PhoneNumbers", phone),
                ("SignName", "鄠邑政务服务"),
                ("TemplateCode", "SMS_000000001"),
                ("TemplateParam", json.dumps({"dept": "区公安分局", "item": "居民身份证换领", "code": "ABCD2345"})),
                ("OutId", str(n + 1)),
            ):
                req.add_query_param(key, value)
            answer = json.loads(client.do_action_with_exception(req))
            if answer.get("Code") != "OK":
                raise RuntimeError(f"the fake refused the bare loop's SendSms: {answer}")
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        client.session.close()
        calls = len(fake.sent())
    finally:
        fake.stop()
    log(f"  ceiling {count / elapsed:.0f}/s ({count} in {elapsed:.1f} s, {calls} accepted); bg {gate['bg_cores']}")
    return {"kind": "ceiling", "seconds": elapsed, "rate": count / elapsed, "calls": calls, "cpu_s": cpu, **gate}


def run_backend(backend: str) -> list[Row]:
    ceiling = ceiling_run(backend, INVITES)
    got = product_run(backend)
    save("invite.jsonl", {"backend": backend, "product": got, "ceiling": ceiling})
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    bad = got["duplicated"] + got["missing"] + got["unsettled"]
    return [
        Row(
            f"invite {name}: {INVITES:,} invitations → SendSms accepted by the fake",
            got["rate"],
            ceiling["rate"],
            "/s",
            "≥ 300 /s",
            got["rate"] is not None and got["rate"] >= 300,
            note=f"{got['seconds'] or 0:.1f} s; bg {got['bg_cores']} cores",
        ),
        Row(
            f"invite {name}: sent twice / never / unsettled",
            bad,
            None,
            "",
            "0",
            bad == 0,
            note=f"{got['duplicated']} / {got['missing']} / {got['unsettled']}",
        ),
        Row(
            f"invite {name}: sender CPU per invitation (scheduler + PostgreSQL)",
            1000 * (got["scheduler_cpu_s"] + got["postgres_cpu_s"]) / INVITES,
            1000 * ceiling["cpu_s"] / INVITES,
            "ms",
        ),
    ]


def run(backends=("sqlite", "postgresql")) -> list[Row]:
    rows = []
    for backend in backends:
        rows += run_backend(backend)
    return rows


if __name__ == "__main__":
    sys.exit(print(run()))
