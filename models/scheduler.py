"""The scheduler processes as the web app sees them: one row per process, beating."""

import datetime as dt

from peewee import CharField
from peewee import DateTimeField
from peewee import IntegerField
from peewee import TextField

from core import clock

from .db import BaseModel

# active: holds the lock and runs the jobs; standby: another process holds it;
# lock_lost: its lock connection is gone, the jobs are paused until it is back.
SCHEDULER_STATES = {"active": "运行中", "standby": "待命（另一进程在运行）", "lock_lost": "锁连接中断，任务暂停"}
# Rows of processes silent this long are old news (restarts leave one each).
KEEP = dt.timedelta(days=2)


class SchedulerProcess(BaseModel):
    """A `jobs run` process: what it is doing, and when it last said so (`beat_at`)."""

    host = CharField(max_length=100)
    pid = IntegerField()
    state = CharField(max_length=16)
    since = DateTimeField(default=clock.now)
    beat_at = DateTimeField(default=clock.now, index=True)
    message = TextField(default="")

    class Meta:
        indexes = ((("host", "pid"), True),)

    @classmethod
    def beat(cls, host: str, pid: int, state: str, message: str = "") -> None:
        """Upsert this process's row; `since` moves only when the state changes."""
        now = clock.now()
        row = cls.get_or_none((cls.host == host) & (cls.pid == pid))
        if row is None:
            cls.insert(
                host=host, pid=pid, state=state, since=now, beat_at=now, message=message
            ).on_conflict_ignore().execute()
        else:
            changes = {cls.beat_at: now, cls.state: state, cls.message: message}
            if row.state != state:
                changes[cls.since] = now
            cls.update(changes).where(cls.id == row.id).execute()
        cls.delete().where(cls.beat_at < now - KEEP).execute()

    @classmethod
    def latest(cls):
        """The processes that beat last, newest first."""
        return list(cls.select().order_by(cls.beat_at.desc()).limit(5))
