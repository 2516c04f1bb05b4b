"""The WeChat side: mini-program users, the shared access token, subscribe
acceptances, cached mini-program codes and posters, and a contact number left on a page."""

from peewee import BlobField
from peewee import CharField
from peewee import DateTimeField
from peewee import ForeignKeyField
from peewee import IntegerField

from core import clock

from .db import BaseModel
from .pii import EncryptedField
from .rating import Rating


class WxUser(BaseModel):
    """A mini-program user, known by openid. The session_key stays here, on the server,
    encrypted with the personal-data keys (it decrypts the user's WeChat data)."""

    openid = CharField(max_length=64, unique=True)
    unionid = CharField(max_length=64, null=True)
    session_key = EncryptedField()
    created_at = DateTimeField(default=clock.now)
    last_login_at = DateTimeField(default=clock.now)

    @classmethod
    def by_openid(cls, openid: str):
        return cls.get_or_none(cls.openid == openid)

    @classmethod
    def login(cls, openid: str, unionid, session_key: str) -> None:
        """Record a code2Session answer (insert or refresh the session_key)."""
        now = clock.now()
        (
            cls.insert(openid=openid, unionid=unionid, session_key=session_key, created_at=now, last_login_at=now)
            .on_conflict(
                conflict_target=[cls.openid],
                update={cls.unionid: unionid, cls.session_key: session_key, cls.last_login_at: now},
            )
            .execute()
        )


class WxToken(BaseModel):
    """The access token, one row per appid, shared by every worker process.

    With stable_token every worker would be handed the same token anyway; the
    row spares each worker its own fetch and records when a forced refresh
    (20 a day, 30 s apart) was last spent.
    """

    appid = CharField(max_length=64, unique=True)
    value = EncryptedField(null=True)  # a credential of the mini program: encrypted at rest
    expires_at = DateTimeField(null=True)
    forced_at = DateTimeField(null=True)
    updated_at = DateTimeField(default=clock.now)

    @classmethod
    def for_appid(cls, appid: str):
        return cls.get_or_none(cls.appid == appid)


class WxSubscription(BaseModel):
    """Subscribe-message acceptances (订阅消息) a user reported from the mini program.

    Each "accept" in wx.requestSubscribeMessage allows one send of that
    template, so `remaining` counts them; a refusal sets it to zero.
    """

    openid = CharField(max_length=64)
    template_id = CharField(max_length=64)
    remaining = IntegerField(default=0)
    updated_at = DateTimeField(default=clock.now)
    last_sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("openid", "template_id"), True),)

    @classmethod
    def find(cls, openid: str, template_id: str):
        return cls.get_or_none((cls.openid == openid) & (cls.template_id == template_id))


class WxaCode(BaseModel):
    """A mini-program code (wxacode.getUnlimited) by scene: permanent, so fetched once."""

    scene = CharField(max_length=32)
    page = CharField(max_length=128)
    image = BlobField()
    content_type = CharField(max_length=32, default="image/png")
    created_at = DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("scene", "page"), True),)

    @classmethod
    def cached(cls, scene: str, page: str):
        return cls.get_or_none((cls.scene == scene) & (cls.page == page))


class PosterCache(BaseModel):
    """A printable poster as last drawn, with a digest of everything it shows: drawn once
    per change of the hall (its windows, staff, names, codes), not once per request."""

    key = CharField(max_length=64, unique=True)  # "hall:<id>", "window:<id>", "staff:<id>"
    fingerprint = CharField(max_length=64)
    content_type = CharField(max_length=32)
    data = BlobField()
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def stored(cls, key: str, fingerprint: str):
        return cls.get_or_none((cls.key == key) & (cls.fingerprint == fingerprint))

    @classmethod
    def store(cls, key: str, fingerprint: str, content_type: str, data: bytes) -> None:
        now = clock.now()
        values = {"fingerprint": fingerprint, "content_type": content_type, "data": data, "created_at": now}
        cls.insert(key=key, **values).on_conflict(
            conflict_target=[cls.key], update={getattr(cls, k): v for k, v in values.items()}
        ).execute()


class RaterContact(BaseModel):
    """A phone number a citizen left with a case-less bad review, so that the
    department's reply can reach them. Personal data: encrypted, masked for
    staff, deleted after retention once the ticket is closed."""

    rating = ForeignKeyField(Rating, unique=True, on_delete="CASCADE")
    phone = EncryptedField()
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def for_rating(cls, rating):
        return cls.get_or_none(cls.rating == rating)
