"""The jobs of the scheduler process, as one table.

Each job is a plain function taking no arguments that opens its own database
connection (`with db.connection_context():`) and is safe to run twice: it
works from the database state (outbox rows, deadlines), never from memory.
`every` is the interval in seconds; `cron` a dict for APScheduler's
CronTrigger instead (Beijing time).
"""

JOBS: list[dict] = [
    # {"id": "sms.send", "func": "sms.sender:send_due", "every": 5},
    {"id": "wechat.reply_notices", "func": "wechat.notices:deliver_reply_notices", "every": 10},
]
