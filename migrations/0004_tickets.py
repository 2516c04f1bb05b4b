"""The bad-review workflow: ticket columns, its history, the ledger, default
assignees and staff notifications.

Frozen models, deliberately independent of `models/`.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them

TICKET_COLUMNS = (
    ("due_provisional", lambda: BooleanField(default=False)),
    ("due_from", lambda: DateTimeField(null=True)),
    ("callback_at", lambda: DateTimeField(null=True)),
    ("on_the_spot", lambda: BooleanField(default=False)),
    ("on_ledger", lambda: BooleanField(default=False)),
    ("resolution_text", lambda: TextField(null=True)),
    ("resolved_at", lambda: DateTimeField(null=True)),
    ("appeal_from", lambda: CharField(max_length=16, null=True)),
    ("reply_count", lambda: IntegerField(default=0)),
    ("followup_asked_at", lambda: DateTimeField(null=True)),
    ("followup_result", lambda: CharField(max_length=24, null=True)),
    ("followup_channel", lambda: CharField(max_length=8, null=True)),
    ("followed_up_at", lambda: DateTimeField(null=True)),
    ("reopen_count", lambda: IntegerField(default=0)),
    ("escalated_at", lambda: DateTimeField(null=True)),
    ("closed_at", lambda: DateTimeField(null=True)),
)


def up(migrator, db):
    class Department(Model):
        class Meta:
            database = db
            table_name = 'department'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'ticket'

    operations = [migrator.add_column('ticket', name, make()) for name, make in TICKET_COLUMNS]
    operations.append(
        migrator.add_column(
            'ticket', 'assignee_id', ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        )
    )
    migrator.migrate(*operations)

    class TicketEvent(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        at = DateTimeField()
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        actor_ref = CharField(max_length=80)
        action = CharField(max_length=32)
        from_state = CharField(null=True, max_length=16)
        to_state = CharField(null=True, max_length=16)
        note = TextField(null=True)
        evidence = TextField(null=True)
        class Meta:
            database = db
            table_name = 'ticket_event'

    class LedgerItem(Model):
        ticket = ForeignKeyField(Ticket, on_delete='CASCADE')
        plan = TextField()
        responsible = CharField(max_length=50)
        due_on = DateField()
        state = CharField(max_length=8, default='open')
        extension_state = CharField(null=True, max_length=16)
        extension_due_on = DateField(null=True)
        extension_reason = TextField(null=True)
        result = TextField(null=True)
        closed_at = DateTimeField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'ledger_item'

    class TicketContact(Model):
        department = ForeignKeyField(Department, unique=True, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'ticket_contact'

    class Notification(Model):
        department = ForeignKeyField(Department, null=True, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        kind = CharField(max_length=32)
        ref = CharField(max_length=64, default='')
        text = TextField()
        dedupe_key = CharField(unique=True, max_length=128)
        created_at = DateTimeField(index=True)
        read_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'notification'

    db.create_tables([TicketEvent, LedgerItem, TicketContact, Notification])


def down(migrator, db):
    for table in ('notification', 'ticket_contact', 'ledger_item', 'ticket_event'):
        migrator.migrate(migrator.drop_table(table))
    names = [name for name, _ in TICKET_COLUMNS] + ['assignee_id']
    migrator.migrate(*[migrator.drop_column('ticket', name) for name in names])
