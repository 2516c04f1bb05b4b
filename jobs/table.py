"""The jobs of the scheduler process, as one table.

Each job is a plain function taking no arguments that opens its own database
connection (`with db.connection_context():`) and is safe to run twice: it
works from the database state (outbox rows, deadlines), never from memory.
`every` is the interval in seconds; `cron` a dict for APScheduler's
CronTrigger instead (Beijing time). The runner (jobs/runner.py) calls it in
an app context, so `current_app.config["SETTINGS"]` is there;
`[jobs] intervals` and `disabled` adjust the table per deployment.
"""

JOBS: list[dict] = [
    # {"id": "sms.send", "func": "sms.sender:send_due", "every": 5},
    # A rating reaches the city system within 10 seconds of its creation.
    {"id": "upstream.push", "func": "upstream.push:push_due", "every": 2},
    # 对账 with the city system and 补报 of what it is missing, after midnight.
    {"id": "upstream.reconcile", "func": "upstream.reconcile:reconcile", "cron": {"hour": 2, "minute": 30}},
]
