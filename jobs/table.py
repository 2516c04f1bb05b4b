"""The jobs of the scheduler process, as one table.

Each job is a plain function taking no arguments that opens its own database
connection (`with db.connection_context():`) and is safe to run twice: it
works from the database state (outbox rows, deadlines), never from memory.
`every` is the interval in seconds; `cron` a dict for APScheduler's
CronTrigger instead (Beijing time); `pass_interval` calls the job with
`interval=` its effective interval (a job that works until its next run). The
runner (jobs/runner.py) calls it in an app context, so `current_settings()` is
there; `[jobs] intervals` and `disabled` adjust the table per deployment.

The table names each function by its path, resolved when the scheduler starts
(`load_table` refuses a path that does not import): the scheduler is the one
place, beside app.py, that composes every area, so it names them rather than
importing them.
"""

JOBS: list[dict] = [
    # Bad-review workflow: reminders before deadlines, escalation after, 回访 chasing, calendar.
    {"id": "tickets.remind", "func": "rectification.reminders:remind_due", "every": 900},
    {"id": "tickets.escalate", "func": "rectification.reminders:escalate_overdue", "every": 300},
    {"id": "tickets.followups", "func": "rectification.reminders:chase_followups", "every": 3600},
    {"id": "tickets.deadlines", "func": "rectification.reminders:recount_deadlines", "cron": {"hour": 6, "minute": 10}},
    {"id": "wechat.reply_notices", "func": "wechat.notices:deliver_reply_notices", "every": 10},
    # SMS bot (each needs the Flask app context for its settings): send due
    # invitations/reminders/messages; handle stored Aliyun callbacks (a run drains the
    # inbox, then watches it until just before the next run); schedule reminders and
    # expire invitations; look up delivery receipts that never came.
    {"id": "sms.send", "func": "sms.jobs:send_due", "every": 5},
    {"id": "sms.inbox", "func": "sms.jobs:drain_inbox", "every": 5, "pass_interval": True},
    {"id": "sms.sweep", "func": "sms.jobs:sweep_invitations", "every": 600},
    {"id": "sms.receipts", "func": "sms.jobs:reconcile_receipts", "every": 1800},
    # A rating reaches the city system within 10 seconds of its creation.
    {"id": "upstream.push", "func": "upstream.push:push_due", "every": 2},
    # 对账 with the city system and 补报 of what it is missing, after midnight.
    {"id": "upstream.reconcile", "func": "upstream.reconcile:reconcile", "cron": {"hour": 2, "minute": 30}},
    # The rating and case rollups' deltas folded in (the figures read the rest live): they stay few.
    {"id": "figures.rollup", "func": "figures.triggers:fold_job", "every": 10},
    # The bureau's month: reminders to submit (from month.remind_day), the close on month.close_day.
    {"id": "month.remind", "func": "figures.month_jobs:remind_submissions", "every": 1800},
    {"id": "month.close", "func": "figures.month_jobs:close_due_months", "every": 300},
    # 系统默认评价 of cases nobody rated (off unless ratings.default_rating_days is set).
    {"id": "ratings.default", "func": "ratings.defaults:apply_default_ratings", "every": 3600},
    # Personal data past pii.retention_days is cleared (ratings and figures stay).
    {"id": "pii.purge", "func": "ops.retention:purge_job", "cron": {"hour": 3, "minute": 40}},
]

# What staff read for each job in the admin (its scheduler panel).
NAMES: dict[str, str] = {
    "tickets.remind": "差评工单到期提醒",
    "tickets.escalate": "超期工单升级督办",
    "tickets.followups": "催办未答复的回访",
    "tickets.deadlines": "重算暂定整改期限",
    "wechat.reply_notices": "发送小程序答复通知",
    "sms.send": "发送短信",
    "sms.inbox": "处理短信回复与回执",
    "sms.sweep": "安排评价提醒、过期邀请",
    "sms.receipts": "补查短信送达回执",
    "upstream.push": "推送评价至市级系统",
    "upstream.reconcile": "与市级系统对账补报",
    "figures.rollup": "汇总评价统计数据",
    "month.remind": "提醒各单位月度报送",
    "month.close": "关闭月份并冻结月报",
    "ratings.default": "逾期未评办件默认评价",
    "pii.purge": "清理过期个人信息",
}
