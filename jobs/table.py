"""The jobs of the scheduler process, as one table.

Each job is a plain function taking no arguments that opens its own database
connection (`with db.connection_context():`) and is safe to run twice: it
works from the database state (outbox rows, deadlines), never from memory.
`every` is the interval in seconds; `cron` a dict for APScheduler's
CronTrigger instead (Beijing time).
"""

JOBS: list[dict] = [
    # SMS bot (each needs the Flask app context for its settings): send due
    # invitations/reminders/messages; handle stored Aliyun callbacks; schedule
    # reminders and expire invitations; look up delivery receipts that never came.
    {"id": "sms.send", "func": "sms.jobs:send_due", "every": 5},
    {"id": "sms.inbox", "func": "sms.jobs:process_inbox", "every": 3},
    {"id": "sms.sweep", "func": "sms.jobs:sweep_invitations", "every": 600},
    {"id": "sms.receipts", "func": "sms.jobs:reconcile_receipts", "every": 1800},
]
