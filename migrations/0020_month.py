"""The bureau's month (models/month.py): each unit's business contact (personal data,
encrypted), its monthly submissions (报送) and the frozen reports of closed months.
Frozen models, deliberately independent of `models/`."""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class Department(Model):
        class Meta:
            database = db
            table_name = 'department'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class BusinessContact(Model):
        department = ForeignKeyField(Department, unique=True, on_delete='CASCADE')
        name = TextField(null=True)
        phone = TextField(null=True)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'business_contact'

    class MonthSubmission(Model):
        department = ForeignKeyField(Department, on_delete='CASCADE')
        month = CharField(max_length=7)
        via = CharField(max_length=8, default='admin')
        submitted_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        comment = TextField(null=True)
        submitted_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'month_submission'
            indexes = ((('department', 'month'), True), (('month',), False))

    class MonthReport(Model):
        month = CharField(max_length=7)
        version = IntegerField(default=1)
        closed_at = DateTimeField()
        closed_by = CharField(max_length=80)
        data = TextField()
        class Meta:
            database = db
            table_name = 'month_report'
            indexes = ((('month', 'version'), True),)

    db.create_tables([BusinessContact, MonthSubmission, MonthReport])


def down(migrator, db):
    for table in ('month_report', 'month_submission', 'business_contact'):
        migrator.migrate(migrator.drop_table(table))
