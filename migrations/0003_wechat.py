"""The WeChat area: mini-program users, the shared access token, subscribe
acceptances, cached mini-program codes, contacts left with on-site bad reviews.

Frozen copies of the models, as in 0001.
"""

from peewee import *  # noqa: F403 - frozen migration, as pwmigrate writes them


def up(migrator, db):
    class WxUser(Model):
        openid = CharField(unique=True, max_length=64)
        unionid = CharField(null=True, max_length=64)
        session_key = CharField(max_length=64)
        created_at = DateTimeField()
        last_login_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'wx_user'

    class WxToken(Model):
        appid = CharField(unique=True, max_length=64)
        value = TextField(null=True)
        expires_at = DateTimeField(null=True)
        forced_at = DateTimeField(null=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'wx_token'

    class WxSubscription(Model):
        openid = CharField(max_length=64)
        template_id = CharField(max_length=64)
        remaining = IntegerField(default=0)
        updated_at = DateTimeField()
        last_sent_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'wx_subscription'
            indexes = ((('openid', 'template_id'), True),)

    class WxaCode(Model):
        scene = CharField(max_length=32)
        page = CharField(max_length=128)
        image = BlobField()
        content_type = CharField(max_length=32, default='image/png')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'wxa_code'
            indexes = ((('scene', 'page'), True),)

    class Rating(Model):
        class Meta:
            database = db
            table_name = 'rating'

    class RaterContact(Model):
        rating = ForeignKeyField(Rating, unique=True, on_delete='CASCADE')
        phone = CharField(max_length=20)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'rater_contact'

    db.create_tables([WxUser, WxToken, WxSubscription, WxaCode, RaterContact])
