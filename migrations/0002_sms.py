"""The SMS bot: every SMS sent (sms_message) and every Aliyun callback
received (sms_inbox). Frozen copies of sms/models.py."""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class Invitation(Model):
        class Meta:
            database = db
            table_name = 'invitation'

    class SmsMessage(Model):
        outbox_id = IntegerField(index=True)
        invitation = ForeignKeyField(Invitation, null=True, on_delete='CASCADE')
        phone = CharField(max_length=20, index=True)
        purpose = CharField(max_length=24)
        ref = CharField(max_length=64, null=True)
        provider = CharField(max_length=16)
        template_code = CharField(max_length=32)
        params = TextField(default='{}')
        text = TextField()
        out_id = CharField(max_length=64)
        state = CharField(max_length=16, default='sending')
        provider_id = CharField(max_length=64, null=True, index=True)
        error_code = CharField(max_length=64, null=True)
        error_message = TextField(null=True)
        context = TextField(null=True)
        expects_reply_until = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)
        created_at = DateTimeField(index=True)
        sent_at = DateTimeField(null=True)
        delivered_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sms_message'

    class SmsInbox(Model):
        kind = CharField(max_length=8)
        dedupe_key = CharField(max_length=160, unique=True)
        payload = TextField()
        state = CharField(max_length=16, default='pending')
        outcome = CharField(max_length=32, null=True)
        detail = TextField(null=True)
        received_at = DateTimeField()
        processed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sms_inbox'
            indexes = ((('state', 'id'), False),)

    db.create_tables([SmsMessage, SmsInbox])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sms_inbox'))
    migrator.migrate(migrator.drop_table('sms_message'))
