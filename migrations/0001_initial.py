"""Initial schema: the whole domain as of the foundation.

Frozen copies of the models (deliberately independent of `models/`); timestamp
defaults are set by the application, not the database.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class Department(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(max_length=100)
        kind = CharField(max_length=16)
        credit_code = CharField(null=True, max_length=18)
        is_bureau = BooleanField(default=False)
        active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'department'
    db.create_tables([Department])

    class ApiKey(Model):
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        prefix = CharField(unique=True, max_length=16)
        secret_hash = CharField(max_length=64)
        label = CharField(max_length=100, default='')
        created_at = DateTimeField()
        revoked_at = DateTimeField(null=True)
        last_used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'api_key'
    db.create_tables([ApiKey])

    class AuditLog(Model):
        at = DateTimeField(index=True)
        actor = CharField(max_length=80)
        action = CharField(max_length=64)
        target = CharField(max_length=80, default='')
        detail = TextField(default='{}')
        class Meta:
            database = db
            table_name = 'audit_log'
    db.create_tables([AuditLog])

    class Item(Model):
        code = CharField(unique=True, max_length=64)
        name = CharField(max_length=200)
        category = CharField(null=True, max_length=16)
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        source = CharField(max_length=16, default='catalogue')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'item'
    db.create_tables([Item])

    class Hall(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(max_length=100)
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        address = CharField(max_length=200, default='')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'hall'
    db.create_tables([Hall])

    class Window(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(max_length=100)
        hall = ForeignKeyField(Hall, on_delete='RESTRICT')
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'window'
    db.create_tables([Window])

    class Staff(Model):
        code = CharField(unique=True, max_length=32)
        name = CharField(max_length=50)
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        window = ForeignKeyField(Window, null=True, on_delete='SET NULL')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'staff'
    db.create_tables([Staff])

    class Case(Model):
        case_no = CharField(unique=True, max_length=64)
        item = ForeignKeyField(Item, on_delete='RESTRICT')
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        hall = ForeignKeyField(Hall, null=True, on_delete='SET NULL')
        window = ForeignKeyField(Window, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        mode = CharField(max_length=8, default='offline')
        status = CharField(max_length=16, default='accepted')
        accepted_at = DateTimeField(null=True)
        completed_at = DateTimeField(index=True, null=True)
        applicant_name = CharField(null=True, max_length=100)
        applicant_phone = CharField(index=True, null=True, max_length=20)
        applicant_type = CharField(null=True, max_length=8)
        applicant_id_number = CharField(null=True, max_length=32)
        rating_code = CharField(unique=True, max_length=16)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'case'
    db.create_tables([Case])

    class Invitation(Model):
        case = ForeignKeyField(Case, on_delete='CASCADE')
        channel = CharField(max_length=16, default='sms')
        state = CharField(index=True, max_length=16, default='scheduled')
        send_after = DateTimeField()
        sent_at = DateTimeField(null=True)
        delivered_at = DateTimeField(null=True)
        reminded_at = DateTimeField(null=True)
        attempts = IntegerField(default=0)
        provider_id = CharField(index=True, null=True, max_length=64)
        error_code = CharField(null=True, max_length=64)
        error_message = TextField(null=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'invitation'
            indexes = ((('case', 'channel'), True),)
    db.create_tables([Invitation])

    class LabelSet(Model):
        version = CharField(unique=True, max_length=32)
        active = BooleanField(default=False)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'label_set'
    db.create_tables([LabelSet])

    class Label(Model):
        label_set = ForeignKeyField(LabelSet, on_delete='CASCADE')
        level = IntegerField()
        code = CharField(max_length=16)
        text = CharField(max_length=50)
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'label'
            indexes = ((('label_set', 'code'), True),)
    db.create_tables([Label])

    class OptOut(Model):
        phone = CharField(unique=True, max_length=20)
        source = CharField(max_length=16, default='sms')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'opt_out'
    db.create_tables([OptOut])

    class Outbox(Model):
        kind = CharField(max_length=32)
        dedupe_key = CharField(unique=True, max_length=128)
        payload = TextField(default='{}')
        state = CharField(max_length=16, default='pending')
        attempts = IntegerField(default=0)
        available_at = DateTimeField()
        last_error = TextField(null=True)
        created_at = DateTimeField()
        sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'outbox'
            indexes = ((('state', 'kind', 'available_at'), False),)
    db.create_tables([Outbox])

    class Rating(Model):
        case = ForeignKeyField(Case, null=True, on_delete='RESTRICT')
        sequence = IntegerField(default=1)
        level = IntegerField()
        labels = CharField(max_length=200, default='')
        label_version = CharField(max_length=32)
        comment = TextField(null=True)
        channel = CharField(max_length=16)
        rater_ref = CharField(null=True, max_length=80)
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        hall = ForeignKeyField(Hall, null=True, on_delete='SET NULL')
        window = ForeignKeyField(Window, null=True, on_delete='SET NULL')
        staff = ForeignKeyField(Staff, null=True, on_delete='SET NULL')
        item = ForeignKeyField(Item, null=True, on_delete='SET NULL')
        is_bad = BooleanField(default=False)
        excluded = BooleanField(default=False)
        excluded_reason = TextField(null=True)
        onsite_day = DateField(null=True)
        onsite_slot = IntegerField(null=True)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'rating'
            indexes = (
                (('case', 'sequence'), True),
                (('rater_ref', 'window', 'onsite_day', 'onsite_slot'), True),
                (('department', 'created_at'), False),
            )
            constraints = [SQL('CHECK (level BETWEEN 1 AND 5)'), SQL('CHECK (sequence IN (1, 2))')]
    db.create_tables([Rating])

    class Ticket(Model):
        ticket_no = CharField(unique=True, max_length=24)
        rating = ForeignKeyField(Rating, unique=True, on_delete='RESTRICT')
        case = ForeignKeyField(Case, null=True, on_delete='SET NULL')
        department = ForeignKeyField(Department, on_delete='RESTRICT')
        state = CharField(index=True, max_length=16, default='new')
        due_at = DateTimeField()
        reply_text = TextField(null=True)
        replied_at = DateTimeField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'ticket'
    db.create_tables([Ticket])

    class User(Model):
        username = CharField(unique=True, max_length=64)
        password_hash = CharField()
        role = CharField(max_length=16)
        department = ForeignKeyField(Department, null=True, on_delete='RESTRICT')
        display_name = CharField(max_length=50, default='')
        active = BooleanField(default=True)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('ticket'))
    migrator.migrate(migrator.drop_table('rating'))
    migrator.migrate(migrator.drop_table('outbox'))
    migrator.migrate(migrator.drop_table('opt_out'))
    migrator.migrate(migrator.drop_table('label'))
    migrator.migrate(migrator.drop_table('label_set'))
    migrator.migrate(migrator.drop_table('invitation'))
    migrator.migrate(migrator.drop_table('case'))
    migrator.migrate(migrator.drop_table('staff'))
    migrator.migrate(migrator.drop_table('window'))
    migrator.migrate(migrator.drop_table('hall'))
    migrator.migrate(migrator.drop_table('item'))
    migrator.migrate(migrator.drop_table('audit_log'))
    migrator.migrate(migrator.drop_table('api_key'))
    migrator.migrate(migrator.drop_table('department'))
