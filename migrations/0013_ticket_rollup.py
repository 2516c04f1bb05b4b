"""The ticket rollup (figures/ticket_rollup.py): the rectification counts of the 差评
per department and day, its triggers and its backfill. Frozen model."""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    from figures import ticket_rollup
    from models.db import is_postgres

    class TicketRollup(Model):
        department_id = IntegerField()
        day = DateField()
        bad = IntegerField(default=0)
        replied = IntegerField(default=0)
        followed_up = IntegerField(default=0)
        satisfied = IntegerField(default=0)
        basically_satisfied = IntegerField(default=0)
        resolved = IntegerField(default=0)
        on_time = IntegerField(default=0)
        resolved_late = IntegerField(default=0)
        on_the_spot = IntegerField(default=0)
        on_ledger = IntegerField(default=0)
        closed = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'ticket_rollup'
            indexes = ((('department_id', 'day'), True),)
    db.create_tables([TicketRollup])
    postgres = is_postgres()
    with db.atomic():
        for sql in ticket_rollup.trigger_sql(postgres) + ticket_rollup.rebuild_sql(postgres):
            db.execute_sql(sql)


def down(migrator, db):
    from figures import ticket_rollup
    from models.db import is_postgres

    for sql in ticket_rollup.drop_trigger_sql(is_postgres()):
        db.execute_sql(sql)
    migrator.migrate(migrator.drop_table('ticket_rollup'))
