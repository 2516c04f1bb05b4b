"""models/read_phase.py: in a read phase this thread's writes are refused before they
reach the database; reads go on, and other threads write as usual."""

import threading

import pytest

from models import Outbox
from models import db
from models.read_phase import WriteRefused


def _outbox_keys() -> list[str]:
    return [row.dedupe_key for row in Outbox.select(Outbox.dedupe_key).order_by(Outbox.id)]


def test_reads_go_on_and_every_kind_of_write_is_refused_unsent(ctx):
    Outbox.put("sms.message", "before", {"text": "x"})
    with db.obj.reading_only():
        assert _outbox_keys() == ["before"]
        with pytest.raises(WriteRefused):
            Outbox.put("sms.message", "inside", {"text": "x"})
        with pytest.raises(WriteRefused):
            Outbox.update(state="sent").execute()
        with pytest.raises(WriteRefused):
            Outbox.delete().execute()
        with pytest.raises(WriteRefused):
            with db.atomic():  # SQLite: refused at BEGIN (the writer lock); PostgreSQL: at the write
                Outbox.put("sms.message", "in-transaction", {"text": "x"})
        with pytest.raises(WriteRefused):
            db.execute_sql("  insert into outbox (kind) values ('x')")  # any case, any indent
    assert _outbox_keys() == ["before"]
    assert [row.state for row in Outbox.select()] == ["pending"]
    Outbox.put("sms.message", "after", {"text": "x"})  # the phase over: writes as before
    assert _outbox_keys() == ["before", "after"]


def test_the_phase_is_this_threads_and_ends_as_it_began(app, ctx):
    written = []

    def elsewhere():
        with app.app_context(), db.connection_context():
            Outbox.put("sms.message", "other-thread", {"text": "x"})
            written.append(True)

    with db.obj.reading_only():
        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join(timeout=10)
        with db.obj.reading_only():
            pass  # nested: leaving the inner one keeps the outer
        with pytest.raises(WriteRefused):
            Outbox.put("sms.message", "still-reading", {"text": "x"})
    assert written == [True]
    with pytest.raises(RuntimeError):
        with db.obj.reading_only():
            raise RuntimeError("the work failed")
    Outbox.put("sms.message", "after-error", {"text": "x"})  # ended by the error too
    assert _outbox_keys() == ["other-thread", "after-error"]
